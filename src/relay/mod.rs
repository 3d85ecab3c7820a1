//! `cc2cc relay`: joins this host's bridge to the bridges of other hosts through NATS JetStream.
//!
//! The bridge stays the source of truth on each host. Four loops share one connection:
//! presence (publish our agents, mirror theirs), outbound (messages written here for agents of
//! other hosts), inbound (messages and receipts for us) and receipts (read receipts of arrived
//! messages, sent back to their senders' hosts). The rest of cc2cc runs on std threads; only
//! this command runs an async runtime, because the NATS client needs one.

mod connect;
mod inbound;
mod outbound;
mod presence;
mod receipts;
pub mod wire;

use std::fs::File;
use std::time::Duration;

use tokio::sync::watch;

use crate::bridge::{Bridge, Ticker, fsutil};
use crate::cli::RelayArgs;
use crate::error::CliError;
use crate::output;
use crate::signals;

/// What every loop needs: the bridge, who we are on the wire, and the connection.
pub(crate) struct Relay {
    pub bridge: Bridge,
    pub host: String,
    /// Random per bridge, kept in `relay/id`: tells our own presence record (also one left by
    /// this bridge's relay before a crash) from another bridge's.
    pub relay_id: String,
    pub client: async_nats::Client,
    pub js: async_nats::jetstream::Context,
    pub presence: async_nats::jetstream::kv::Store,
}

/// One progress line on stderr.
/// What the relay does, one line on stderr (names and ids in it came from the bridge or the
/// wire: sanitised like every other line).
pub(crate) fn say(what: impl std::fmt::Display) {
    output::note(&format!("relay: {what}"));
}

pub(crate) fn warn(what: impl std::fmt::Display) {
    output::warn(&format!("relay: {what}"));
}

/// Runs file work (fsyncs, directory scans) on the blocking pool, off the connection's thread.
pub(crate) async fn off_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

pub fn run(bridge: &Bridge, args: RelayArgs) -> Result<(), CliError> {
    let host = match &args.host {
        Some(h) => h.clone(),
        None => default_host()?,
    };
    if !wire::valid_host(&host) {
        return Err(CliError::usage(format!(
            "--host {host:?}: use 1-63 letters, digits, '-' or '_', starting with a letter or digit"
        )));
    }
    let _lock = lock(bridge)?;
    let (stop_tx, stop_rx) = watch::channel(None);
    let signals = signals::forward(move |sig| {
        let _ = stop_tx.send(Some(sig));
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failed(format!("cannot start the relay's runtime: {e}")))?;
    let result = runtime.block_on(relay(bridge.clone(), host, args, stop_rx));
    signals.close();
    // A commit still running on the blocking pool finishes; a stuck one does not hold us up.
    runtime.shutdown_timeout(Duration::from_secs(2));
    result
}

async fn relay(
    bridge: Bridge,
    host: String,
    args: RelayArgs,
    mut stop: watch::Receiver<Option<i32>>,
) -> Result<(), CliError> {
    let joined = tokio::select! {
        joined = connect::join(&args, &host) => joined?,
        sig = stopped(&mut stop) => return Err(CliError::Signalled(sig)),
    };
    say(format_args!(
        "connected to {} as host {host}; bridge {}",
        joined.shown_url,
        bridge.root().display()
    ));
    let relay = Relay {
        relay_id: bridge_id(&bridge)?,
        bridge,
        host,
        client: joined.client,
        js: joined.js,
        presence: joined.presence,
    };
    presence::claim_host(&relay).await?;
    let result = tokio::select! {
        r = presence::run(&relay) => r,
        r = outbound::run(&relay) => r,
        r = inbound::run(&relay, joined.consumer) => r,
        r = receipts::run(&relay) => r,
        r = fire_due(&relay) => r,
        sig = stopped(&mut stop) => Err(CliError::Signalled(sig)),
    };
    // Tell the other hosts at once that our agents are out of reach, rather than letting their
    // heartbeats age out.
    let bye = async {
        presence::goodbye(&relay).await;
        let _ = relay.client.flush().await;
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), bye).await;
    say("stopped; messages not yet forwarded wait in the mailboxes");
    result
}

/// Scheduled messages and recurring schedules fall due while the relay runs: it delivers them,
/// as serve-mcp and watch do, so a host where only a relay runs still fires them (and what
/// they bring for another host then flows like any message).
async fn fire_due(r: &Relay) -> Result<(), CliError> {
    let mut ticker = Ticker::default();
    loop {
        let bridge = r.bridge.clone();
        let ticked;
        (ticker, ticked) = off_thread(move || {
            let ticked = ticker.run_if_due(&bridge);
            (ticker, ticked)
        })
        .await;
        for p in ticked.iter().flat_map(|t| &t.problems) {
            warn(p);
        }
        tokio::time::sleep(ticker.wait()).await;
    }
}

async fn stopped(stop: &mut watch::Receiver<Option<i32>>) -> i32 {
    loop {
        if let Some(sig) = *stop.borrow_and_update() {
            return sig;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The host name up to its first dot: one subject token.
fn default_host() -> Result<String, CliError> {
    let full = fsutil::hostname();
    let short = full.split('.').next().unwrap_or_default().to_owned();
    if wire::valid_host(&short) {
        Ok(short)
    } else {
        Err(CliError::failed(format!(
            "the host name {full:?} cannot name this host on the wire"
        ))
        .with_hint("pass --host NAME (letters, digits, '-' or '_')"))
    }
}

/// One relay per bridge: two would forward the same messages twice over.
fn lock(bridge: &Bridge) -> Result<File, CliError> {
    let dir = bridge.dir(&[STATE], true)?;
    let path = dir.path().join("lock");
    let file = dir.open_lock("lock")?;
    match fsutil::lock_patiently(&file) {
        Ok(true) => Ok(file),
        Ok(false) => Err(CliError::failed(format!(
            "another relay already serves the bridge {}",
            bridge.root().display()
        ))
        .with_hint("run one `cc2cc relay` per bridge")),
        Err(e) => Err(CliError::failed(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

/// This bridge's relay id, made once.
fn bridge_id(bridge: &Bridge) -> Result<String, CliError> {
    let dir = bridge.dir(&[STATE], true)?;
    if let Ok(bytes) = dir.read("id", 128)
        && let Ok(id) = uuid::Uuid::try_parse_ascii(bytes.trim_ascii())
    {
        return Ok(id.to_string());
    }
    let id = uuid::Uuid::new_v4().to_string();
    dir.write_atomic("id", id.as_bytes(), true)?;
    Ok(id)
}

/// Where the relay keeps its own notes inside the bridge (the original ignores the folder).
pub(crate) const STATE: &str = "relay";
