# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_cc2cc_global_optspecs
    string join \n bridge= as= json max-size= h/help V/version
end

function __fish_cc2cc_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_cc2cc_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_cc2cc_using_subcommand
    set -l cmd (__fish_cc2cc_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c cc2cc -n "__fish_cc2cc_needs_command" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_needs_command" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_needs_command" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_needs_command" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "send" -d 'Write one message into an agent\'s inbox and print its id'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "reply" -d 'Answer a message you received (a reply to a task is a response)'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "broadcast" -d 'Send one message to every online agent'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "list" -d 'List known agents, online or offline'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "whoami" -d 'Show your identity, the bridge directory and who is online'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "register" -d 'Claim a name and create its mailbox (a generated name when none is given)'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "inbox" -d 'Print pending messages oldest first and mark them read'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "watch" -d 'Print each message as it arrives; holds presence while running'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "serve-mcp" -d 'Run the MCP stdio server for Claude Code'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "relay" -d 'Join this bridge to bridges on other hosts through a NATS JetStream server'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -s t -l to -d 'Recipient\'s name' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l type -d 'Message type' -r -f -a "message\t''
task\t''
response\t''
status\t''"
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -s p -l priority -d 'Message priority' -r -f -a "low\t''
normal\t''
high\t''
critical\t''"
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l ttl -d 'Expire unread after this long (90m, 2d); 0 means never' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l wait -d 'Wait for the reply and print it (exit 124 when DURATION runs out; no value waits forever)' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l require-online -d 'Refuse unless the recipient is online, instead of queueing'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -s p -l priority -d 'Message priority' -r -f -a "low\t''
normal\t''
high\t''
critical\t''"
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -s p -l priority -d 'Message priority' -r -f -a "low\t''
normal\t''
high\t''
critical\t''"
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -l include-offline -d 'Also queue for every known agent that is offline'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand register" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand register" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand register" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand register" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand register" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l from -d 'Only messages from this agent' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l type -d 'Only messages of this type' -r -f -a "message\t''
task\t''
response\t''
status\t''"
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -s n -l limit -d 'At most N messages (the oldest)' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l peek -d 'Leave the messages pending'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l all -d 'Include read history (oldest first)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -s n -l count -d 'Exit after N messages' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l timeout -d 'Exit with status 124 after this long' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l exec -d 'Run CMD (via sh -c) for each message, with the message JSON on its standard input' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l poll -d 'Poll every DURATION instead of using filesystem events' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -l poll -d 'Poll every DURATION instead of using filesystem events' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l nats -d 'NATS server URL(s), comma-separated: nats://, tls://, with user:pass@ or token@ if needed' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l host -d 'This host\'s name on the wire [default: the host name up to its first dot]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l creds -d 'NATS credentials file (JWT and NKey seed)' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l tls-ca -d 'Extra CA certificate (PEM) to trust for tls:// servers' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l tls-cert -d 'Client certificate (PEM) for servers that verify clients; needs --tls-key' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l tls-key -d 'Private key (PEM) of --tls-cert' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox watch serve-mcp relay help" -f -a "send" -d 'Write one message into an agent\'s inbox and print its id'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox watch serve-mcp relay help" -f -a "reply" -d 'Answer a message you received (a reply to a task is a response)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox watch serve-mcp relay help" -f -a "broadcast" -d 'Send one message to every online agent'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox watch serve-mcp relay help" -f -a "list" -d 'List known agents, online or offline'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox watch serve-mcp relay help" -f -a "whoami" -d 'Show your identity, the bridge directory and who is online'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox watch serve-mcp relay help" -f -a "register" -d 'Claim a name and create its mailbox (a generated name when none is given)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox watch serve-mcp relay help" -f -a "inbox" -d 'Print pending messages oldest first and mark them read'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox watch serve-mcp relay help" -f -a "watch" -d 'Print each message as it arrives; holds presence while running'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox watch serve-mcp relay help" -f -a "serve-mcp" -d 'Run the MCP stdio server for Claude Code'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox watch serve-mcp relay help" -f -a "relay" -d 'Join this bridge to bridges on other hosts through a NATS JetStream server'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox watch serve-mcp relay help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
