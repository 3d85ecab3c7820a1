# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_cc2cc_global_optspecs
    string join \n bridge= as= json max-size= q/quiet h/help V/version
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
complete -c cc2cc -n "__fish_cc2cc_needs_command" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "send" -d 'Write one message into an agent\'s inbox and print its id'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "reply" -d 'Answer a message you received (a reply to a task is a response)'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "broadcast" -d 'Send one message to every online agent'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "list" -d 'List known agents, online or offline'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "whoami" -d 'Show your identity, the bridge directory and who is online'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "register" -d 'Claim a name and create its mailbox (a generated name when none is given)'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "inbox" -d 'Print pending messages oldest first and mark them read'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "ack" -d 'Mark exactly these pending messages read (after `inbox --peek` or `watch --peek`)'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "watch" -d 'Print each message as it arrives; holds presence while running'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "forget" -d 'Remove an agent\'s mailbox (a mistyped or retired name)'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "serve-mcp" -d 'Run the MCP stdio server for Claude Code'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "monitor" -d 'Print each new message as one self-contained line, for a Claude Code plugin monitor'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "doctor" -d 'Say which delivery paths work for an agent and why a message would not arrive'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "status" -d 'Show where a message is: scheduled, queued, relayed, read, answered or expired'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "history" -d 'Show the messages you sent and read, in time order'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "prune" -d 'Remove old history (read messages, sent copies, receipts); never pending mail'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "schedule" -d 'Add, list or remove recurring messages'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "tick" -d 'Deliver everything due on the bridge now (for cron or a systemd timer)'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "relay" -d 'Join this bridge to bridges on other hosts through a NATS JetStream server'
complete -c cc2cc -n "__fish_cc2cc_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
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
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l wait -d 'Wait for the reply and print it; --wait=DURATION or --timeout limits the wait (exit 124)' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l timeout -d 'With --wait: give up after DURATION with exit 124 (the reply still lands in the inbox)' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l at -d 'Deliver at TIME: RFC 3339 (2026-11-24T07:00:00Z) or HH:MM, the next such local time' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l in -d 'Deliver after DURATION (90s, 2h)' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l batch -d 'Send many: read NDJSON on stdin, one {"to", "text", "type"?, "priority"?, "ttl"?, "reply_to"?} per line, all made durable together; print one id per line. A bad line is named on stderr, the good ones are still sent, and the exit status is 1'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -l require-online -d 'Refuse unless the recipient is online, instead of queueing'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand send" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -s p -l priority -d 'Message priority' -r -f -a "low\t''
normal\t''
high\t''
critical\t''"
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand reply" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -s p -l priority -d 'Message priority' -r -f -a "low\t''
normal\t''
high\t''
critical\t''"
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -l include-offline -d 'Also queue for every known agent that is offline'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand broadcast" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand list" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand whoami" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand register" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand register" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand register" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand register" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand register" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand register" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand register" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l from -d 'Only messages from this agent' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l type -d 'Only messages of this type' -r -f -a "message\t''
task\t''
response\t''
status\t''"
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -s n -l limit -d 'At most N messages (the oldest)' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l peek -d 'Leave the messages pending (acknowledge them later with `cc2cc ack ID…`)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -l all -d 'Include read history (oldest first)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand inbox" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand ack" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand ack" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand ack" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand ack" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand ack" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand ack" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand ack" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -s n -l count -d 'Exit after N messages' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l timeout -d 'Exit with status 124 after this long' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l exec -d 'Run CMD (via sh -c) for each message, with the message JSON on its standard input; the message is marked read only when CMD exits 0' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l retry-after -d 'First wait before running a failed --exec again (doubles each time; 5 failures move the message to bad/)' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l poll -d 'Poll every DURATION instead of using filesystem events' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -l peek -d 'Print each message once but leave it pending (acknowledge with `cc2cc ack ID…`)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand watch" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand forget" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand forget" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand forget" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand forget" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand forget" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand forget" -l force -d 'Remove it even when messages are pending in it'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand forget" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand forget" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -l poll -d 'Poll every DURATION instead of using filesystem events' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand serve-mcp" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand monitor" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand monitor" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand monitor" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand monitor" -l poll -d 'Poll every DURATION instead of using filesystem events' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand monitor" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand monitor" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand monitor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand monitor" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand doctor" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand doctor" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand doctor" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand doctor" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand doctor" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand status" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand status" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand status" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand status" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand status" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand status" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand history" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand history" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand history" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand history" -l with -d 'Only messages to or from this agent' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand history" -l grep -d 'Only messages whose text contains TEXT (ignoring case)' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand history" -l since -d 'Only messages newer than DURATION (90m, 2d)' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand history" -l type -d 'Only messages of this type' -r -f -a "message\t''
task\t''
response\t''
status\t''"
complete -c cc2cc -n "__fish_cc2cc_using_subcommand history" -s n -l limit -d 'The newest N messages' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand history" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand history" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand history" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand prune" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand prune" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand prune" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand prune" -l older-than -d 'Remove history older than DURATION (30d)' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand prune" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand prune" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand prune" -l dry-run -d 'Only count what would be removed'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand prune" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and not __fish_seen_subcommand_from add list rm help" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and not __fish_seen_subcommand_from add list rm help" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and not __fish_seen_subcommand_from add list rm help" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and not __fish_seen_subcommand_from add list rm help" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and not __fish_seen_subcommand_from add list rm help" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and not __fish_seen_subcommand_from add list rm help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and not __fish_seen_subcommand_from add list rm help" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and not __fish_seen_subcommand_from add list rm help" -f -a "add" -d 'Send TEXT to NAME on a recurring schedule; prints the schedule\'s id'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and not __fish_seen_subcommand_from add list rm help" -f -a "list" -d 'List the schedules on the bridge'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and not __fish_seen_subcommand_from add list rm help" -f -a "rm" -d 'Remove a schedule'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and not __fish_seen_subcommand_from add list rm help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -s t -l to -d 'Recipient\'s name' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -l every -d 'Every DURATION from now (30s, 1h, 1d)' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -l cron -d 'A cron expression in local time: "minute hour day-of-month month day-of-week"' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -l type -d 'Message type' -r -f -a "message\t''
task\t''
response\t''
status\t''"
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -s p -l priority -d 'Message priority' -r -f -a "low\t''
normal\t''
high\t''
critical\t''"
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -l ttl -d 'Each message expires unread after this long; 0 means never' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from list" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from list" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from list" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from list" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from list" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from rm" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from rm" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from rm" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from rm" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from help" -f -a "add" -d 'Send TEXT to NAME on a recurring schedule; prints the schedule\'s id'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the schedules on the bridge'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove a schedule'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand schedule; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand tick" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand tick" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand tick" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand tick" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand tick" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand tick" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand tick" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l bridge -d 'Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l as -d 'Act as this agent [env: CC2CC_NAME, SELF]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l max-size -d 'Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l nats -d 'NATS server URL(s), comma-separated: nats://, tls://, with user:pass@ or token@ if needed' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l host -d 'This host\'s name on the wire [default: the host name up to its first dot]' -r
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l creds -d 'NATS credentials file (JWT and NKey seed)' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l tls-ca -d 'Extra CA certificate (PEM) to trust for tls:// servers' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l tls-cert -d 'Client certificate (PEM) for servers that verify clients; needs --tls-key' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l tls-key -d 'Private key (PEM) of --tls-cert' -r -F
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -l json -d 'Machine output: one JSON object per line'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -s q -l quiet -d 'No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand relay" -s V -l version -d 'Print version'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "send" -d 'Write one message into an agent\'s inbox and print its id'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "reply" -d 'Answer a message you received (a reply to a task is a response)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "broadcast" -d 'Send one message to every online agent'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "list" -d 'List known agents, online or offline'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "whoami" -d 'Show your identity, the bridge directory and who is online'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "register" -d 'Claim a name and create its mailbox (a generated name when none is given)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "inbox" -d 'Print pending messages oldest first and mark them read'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "ack" -d 'Mark exactly these pending messages read (after `inbox --peek` or `watch --peek`)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "watch" -d 'Print each message as it arrives; holds presence while running'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "forget" -d 'Remove an agent\'s mailbox (a mistyped or retired name)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "serve-mcp" -d 'Run the MCP stdio server for Claude Code'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "monitor" -d 'Print each new message as one self-contained line, for a Claude Code plugin monitor'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "doctor" -d 'Say which delivery paths work for an agent and why a message would not arrive'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "status" -d 'Show where a message is: scheduled, queued, relayed, read, answered or expired'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "history" -d 'Show the messages you sent and read, in time order'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "prune" -d 'Remove old history (read messages, sent copies, receipts); never pending mail'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "schedule" -d 'Add, list or remove recurring messages'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "tick" -d 'Deliver everything due on the bridge now (for cron or a systemd timer)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "relay" -d 'Join this bridge to bridges on other hosts through a NATS JetStream server'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and not __fish_seen_subcommand_from send reply broadcast list whoami register inbox ack watch forget serve-mcp monitor doctor status history prune schedule tick relay help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and __fish_seen_subcommand_from schedule" -f -a "add" -d 'Send TEXT to NAME on a recurring schedule; prints the schedule\'s id'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and __fish_seen_subcommand_from schedule" -f -a "list" -d 'List the schedules on the bridge'
complete -c cc2cc -n "__fish_cc2cc_using_subcommand help; and __fish_seen_subcommand_from schedule" -f -a "rm" -d 'Remove a schedule'
