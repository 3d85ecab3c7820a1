//! The floor for bench/relay.py: bare JetStream with the relay's durability, measured in the same
//! run. One stream configured like the relay's (file storage, work queue, 1 h duplicate window),
//! publishes with `Nats-Msg-Id`, pipelined acks, one durable pull consumer that writes each
//! message as a Maildir file (temp file, fsync, rename; one fsync of the directory for what was
//! ready at once, as the relay does) before it acks.
//!
//! Run: cargo run --release --example jetstream_floor -- URL DIR COUNT SIZE LATENCY_COUNT [--no-disk]
//! Prints one JSON line: throughput (messages/s) and latency (ms, publish → committed).

use async_nats::jetstream::{self, consumer, message::PublishMessage, stream};
use futures_util::{FutureExt, StreamExt};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        eprintln!("usage: jetstream_floor URL DIR COUNT SIZE LATENCY_COUNT [--no-disk]");
        std::process::exit(2);
    }
    let disk = !args.iter().any(|a| a == "--no-disk");
    let (url, dir) = (args[0].clone(), PathBuf::from(&args[1]));
    let (count, size, latency_count): (usize, usize, usize) =
        (args[2].parse()?, args[3].parse()?, args[4].parse()?);
    std::fs::create_dir_all(&dir)?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(url, dir, count, size, latency_count, disk))
}

async fn run(
    url: String,
    dir: PathBuf,
    count: usize,
    size: usize,
    latency_count: usize,
    disk: bool,
) -> Result<(), Error> {
    let client = async_nats::connect(url).await?;
    let js = jetstream::new(client);
    let _ = js.delete_stream("FLOOR").await;
    let stream = js
        .create_stream(stream::Config {
            name: "FLOOR".into(),
            subjects: vec!["floor.>".into()],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            duplicate_window: Duration::from_secs(3600),
            ..Default::default()
        })
        .await?;
    let consumer: consumer::PullConsumer = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some("floor".into()),
            ack_policy: consumer::AckPolicy::Explicit,
            max_ack_pending: 1000,
            ..Default::default()
        })
        .await?;
    // The consumer: commit what is ready as one batch (each file fsynced, one fsync of the
    // directory), then ack and report each message's number: what the relay does.
    let (done_tx, mut done) = mpsc::unbounded_channel::<usize>();
    tokio::spawn(async move {
        let mut messages = consumer
            .stream()
            .max_messages_per_batch(200)
            .messages()
            .await
            .expect("consume");
        while let Some(Ok(first)) = messages.next().await {
            let mut batch = vec![first];
            while batch.len() < 64 {
                match messages.next().now_or_never() {
                    Some(Some(Ok(m))) => batch.push(m),
                    _ => break,
                }
            }
            let numbered: Vec<(usize, Vec<u8>)> = batch
                .iter()
                .map(|m| {
                    let n = m
                        .headers
                        .as_ref()
                        .and_then(|h| h.get("Floor-N"))
                        .and_then(|v| v.as_str().parse().ok())
                        .unwrap_or(0);
                    (n, m.payload.to_vec())
                })
                .collect();
            let ns: Vec<usize> = numbered.iter().map(|(n, _)| *n).collect();
            if disk {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || commit(&dir, &numbered))
                    .await
                    .expect("commit")
                    .expect("commit");
            }
            for (m, n) in batch.iter().zip(ns) {
                m.ack().await.expect("ack");
                let _ = done_tx.send(n);
            }
        }
    });
    let payload = bytes(size);
    let publish = |n: usize| {
        PublishMessage::build()
            .message_id(format!("floor-{n}-{}", std::process::id()))
            .header("Floor-N", n.to_string().as_str())
            .payload(payload.clone().into())
    };
    // Throughput: everything published with pipelined acks, timed until the last commit.
    let start = Instant::now();
    let mut n = 0;
    while n < count {
        let mut acks = Vec::new();
        for _ in 0..256.min(count - n) {
            acks.push(js.send_publish("floor.x", publish(n)).await?);
            n += 1;
        }
        for ack in acks {
            ack.await?;
        }
    }
    let mut committed = 0;
    while committed < count {
        done.recv().await.ok_or("consumer stopped")?;
        committed += 1;
    }
    let throughput = count as f64 / start.elapsed().as_secs_f64();
    // Latency: one message at a time, publish → committed on the other side.
    let mut samples = Vec::with_capacity(latency_count);
    for i in 0..latency_count {
        let t0 = Instant::now();
        js.send_publish("floor.x", publish(count + i))
            .await?
            .await?;
        while done.recv().await.ok_or("consumer stopped")? != count + i {}
        samples.push(t0.elapsed().as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    samples.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let rank = ((p / 100.0 * samples.len() as f64).ceil() as usize).max(1);
        samples
            .get(rank - 1)
            .map_or("null".to_owned(), |ms| format!("{ms:.3}"))
    };
    println!(
        "{{\"disk\": {disk}, \"count\": {count}, \"throughput_per_s\": {throughput:.1}, \
         \"latency_n\": {latency_count}, \"latency_p50_ms\": {}, \"latency_p99_ms\": {}}}",
        pct(50.0),
        pct(99.0)
    );
    js.delete_stream("FLOOR").await?;
    Ok(())
}

/// The Maildir write the relay does for the messages it receives: each file fsynced and
/// renamed in, then one fsync of the directory for the batch.
fn commit(dir: &Path, batch: &[(usize, Vec<u8>)]) -> std::io::Result<()> {
    for (n, payload) in batch {
        let tmp = dir.join(format!(".tmp-{n}"));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(payload)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(format!("m-{n}.json")))?;
    }
    std::fs::File::open(dir)?.sync_all()
}

fn bytes(size: usize) -> Vec<u8> {
    (0..size).map(|i| b'a' + (i % 26) as u8).collect()
}
