//! Connecting to NATS with the user's own options, and finding (or creating) the stream, the
//! presence bucket and this host's consumer. Every failure here is one clear line and exit 1.

use async_nats::jetstream::{self, consumer, kv, stream};
use async_nats::{ConnectErrorKind, ConnectOptions, Event, ServerAddr};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{say, wire};
use crate::cli::RelayArgs;
use crate::error::CliError;

/// One attempt per server; the whole connect is bounded by [`CONNECT_WITHIN`].
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_WITHIN: Duration = Duration::from_secs(10);
/// JetStream API calls and publish acks.
const API_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the stream remembers a `Nats-Msg-Id`: a relay that re-publishes after a crash
/// within this window is recognised by the server as well as by the receiving bridge.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(3600);

pub struct Joined {
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    pub presence: kv::Store,
    pub consumer: consumer::PullConsumer,
    /// The server list as given, with any password or token hidden.
    pub shown_url: String,
}

/// The URL list without credentials, for messages.
fn redact(addrs: &[ServerAddr]) -> String {
    addrs
        .iter()
        .map(|a| format!("{}://{}:{}", a.scheme(), a.host(), a.port()))
        .collect::<Vec<_>>()
        .join(",")
}

fn failed(what: String, hint: &str) -> CliError {
    CliError::failed(what).with_hint(hint)
}

pub async fn join(args: &RelayArgs, host: &str) -> Result<Joined, CliError> {
    let addrs = args
        .nats
        .split(',')
        .map(|s| ServerAddr::from_str(s.trim()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::usage(format!("--nats {:?}: {e}", args.nats)))?;
    if addrs.is_empty() {
        return Err(CliError::usage("--nats needs a server URL"));
    }
    let shown_url = redact(&addrs);
    let mut opts = ConnectOptions::new()
        .name(format!("cc2cc relay {host}"))
        .connection_timeout(ATTEMPT_TIMEOUT)
        .event_callback(|event| async move { log_event(event) });
    // Credentials inside the URL, as other NATS clients take them: user:pass@ or token@.
    if let Some(first) = addrs.first() {
        match (first.username(), first.password()) {
            (Some(user), Some(pass)) => {
                opts = opts.user_and_password(decode(user), decode(pass));
            }
            (Some(token), None) => opts = opts.token(decode(token)),
            _ => {}
        }
    }
    if let Some(creds) = &args.creds {
        opts = opts.credentials_file(creds).await.map_err(|e| {
            failed(
                format!("cannot use NATS credentials {}: {e}", creds.display()),
                "--creds takes a .creds file as written by `nsc` or `nats context`",
            )
        })?;
    }
    if let Some(ca) = &args.tls_ca {
        opts = opts.add_root_certificates(ca.clone()).require_tls(true);
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        opts = opts
            .add_client_certificate(cert.clone(), key.clone())
            .require_tls(true);
    }
    let client = match tokio::time::timeout(CONNECT_WITHIN, opts.connect(addrs)).await {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => return Err(connect_error(&shown_url, &e)),
        Err(_) => {
            return Err(failed(
                format!("cannot connect to NATS at {shown_url}: no answer within 10 s"),
                "check --nats URL and that nats-server is running there",
            ));
        }
    };
    let js = jetstream::ContextBuilder::new()
        .timeout(API_TIMEOUT)
        .build(client.clone());
    let unavailable = |what: &str, e: &dyn std::fmt::Display| {
        failed(
            format!("NATS at {shown_url} refused the {what}: {e}"),
            "the server needs JetStream (`nats-server -js`), and your account the right to use it",
        )
    };
    let stream = stream_of(&js)
        .await
        .map_err(|e| unavailable("message stream", &e))?;
    let presence = bucket_of(&js)
        .await
        .map_err(|e| unavailable("presence bucket", &e))?;
    let consumer = consumer_of(&stream, host)
        .await
        .map_err(|e| unavailable("consumer", &e))?;
    Ok(Joined {
        client,
        js,
        presence,
        consumer,
        shown_url,
    })
}

/// The message stream, created when missing: at the first start, or after the server lost
/// its store.
pub async fn stream_of(
    js: &jetstream::Context,
) -> Result<stream::Stream, jetstream::context::CreateStreamError> {
    js.get_or_create_stream(stream::Config {
        name: wire::STREAM.into(),
        subjects: vec![wire::STREAM_SUBJECTS.into()],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: stream::StorageType::File,
        duplicate_window: DUPLICATE_WINDOW,
        description: Some("cc2cc messages and receipts between hosts".into()),
        ..Default::default()
    })
    .await
}

/// The presence bucket, created when missing.
pub async fn bucket_of(
    js: &jetstream::Context,
) -> Result<kv::Store, jetstream::context::CreateKeyValueError> {
    match js.get_key_value(wire::PRESENCE_BUCKET).await {
        Ok(kv) => Ok(kv),
        Err(_) => {
            js.create_key_value(kv::Config {
                bucket: wire::PRESENCE_BUCKET.into(),
                description: "cc2cc: the agents of each host".into(),
                history: 1,
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
        }
    }
}

/// This host's durable consumer, created when missing (also after someone deleted it).
pub async fn consumer_of(
    stream: &stream::Stream,
    host: &str,
) -> Result<consumer::PullConsumer, stream::ConsumerError> {
    let (durable, filter) = wire::consumer(host);
    stream
        .get_or_create_consumer(
            &durable,
            consumer::pull::Config {
                durable_name: Some(durable.clone()),
                description: Some(format!("cc2cc relay of host {host}")),
                filter_subject: filter,
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                max_ack_pending: 1000,
                ..Default::default()
            },
        )
        .await
}

const TLS_HINT: &str =
    "a server with a private CA needs --tls-ca FILE; check --tls-cert and --tls-key";

fn connect_error(url: &str, e: &async_nats::ConnectError) -> CliError {
    let detail = e.to_string();
    let hint = match e.kind() {
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
            "check the credentials: user:pass@ or token@ in --nats, or --creds FILE"
        }
        ConnectErrorKind::Tls => TLS_HINT,
        _ if detail.contains("certificate") => TLS_HINT,
        ConnectErrorKind::ServerParse => "--nats takes nats://HOST:PORT or tls://HOST:PORT",
        _ => "check --nats URL and that nats-server is running there",
    };
    let what = match e.kind() {
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
            format!("NATS at {url} refused the credentials ({detail})")
        }
        _ => format!("cannot connect to NATS at {url}: {detail}"),
    };
    failed(what, hint)
}

/// Reconnections are the client's job; the relay only says what happens.
fn log_event(event: Event) {
    static LOST: AtomicBool = AtomicBool::new(false);
    match event {
        Event::Disconnected => {
            LOST.store(true, Ordering::Relaxed);
            say("lost the NATS connection; messages wait in the mailboxes until it is back")
        }
        Event::Connected if LOST.swap(false, Ordering::Relaxed) => say("reconnected to NATS"),
        Event::Connected => {}
        Event::Closed => say("NATS connection closed"),
        Event::LameDuckMode => say("the NATS server is shutting down (lame duck mode)"),
        Event::SlowConsumer(_) | Event::Draining => {}
        // Each failed reconnection attempt: already said with "lost the NATS connection".
        Event::ClientError(_) if LOST.load(Ordering::Relaxed) => {}
        other => eprintln!("cc2cc: warning: relay: NATS: {other}"),
    }
}

/// Percent-decoding of URL credentials (`%40` in a password).
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn url_credentials_are_percent_decoded() {
        assert_eq!(super::decode("p%40ss%2Fw"), "p@ss/w");
        assert_eq!(super::decode("plain"), "plain");
        assert_eq!(super::decode("bad%zz%4"), "bad%zz%4");
    }
}
