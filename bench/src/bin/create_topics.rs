//! Creates topics with one admin request, so that a benchmark can make every topic it needs up
//! front without starting a JVM per topic. A topic that already exists is not an error.
//!
//! `create_topics --brokers B [--partitions 1] [--replication 1] TOPIC...`

use std::error::Error;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use clap::Parser;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::types::RDKafkaErrorCode;

#[derive(Parser)]
#[command(about = "Create topics (an existing topic is fine)")]
struct Args {
    /// bootstrap servers, host:port[,host:port...]
    #[arg(long)]
    brokers: String,
    #[arg(long, default_value_t = 1)]
    partitions: i32,
    #[arg(long, default_value_t = 1)]
    replication: i32,
    /// the topics to create
    #[arg(required = true)]
    topics: Vec<String>,
}

/// Runs a future on this thread; the admin client answers from its own polling thread.
fn block_on<F: Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(out) => return out,
            Poll::Pending => std::thread::park(),
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &args.brokers)
        .create()?;
    let new_topics: Vec<NewTopic<'_>> = args
        .topics
        .iter()
        .map(|t| {
            NewTopic::new(
                t,
                args.partitions,
                TopicReplication::Fixed(args.replication),
            )
        })
        .collect();
    let options = AdminOptions::new()
        .request_timeout(Some(Duration::from_secs(60)))
        .operation_timeout(Some(Duration::from_secs(60)));
    let results = block_on(admin.create_topics(&new_topics, &options))?;
    let mut failed = Vec::new();
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => failed.push(format!("{topic}: {code}")),
        }
    }
    if !failed.is_empty() {
        return Err(format!("cannot create {}", failed.join(", ")).into());
    }
    Ok(())
}
