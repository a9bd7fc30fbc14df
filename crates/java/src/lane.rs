//! One conversation with the plugin host: a connector's or a task's connection.
//!
//! ferry sends a request and waits for its reply; meanwhile the host may ask questions of its own
//! on the same connection (a task reading its offsets from inside `poll`) or send events (a
//! connector asking for new task configurations). A reader thread answers those and hands the
//! reply to the waiting caller. Calls block: async callers run them with `spawn_blocking`.

use std::io::{BufReader, BufWriter};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::HostError;
use crate::host::HostEnd;
use crate::wire::{self, Kind};

/// Answers what the host asks or tells on a lane. Runs on the lane's reader thread.
pub trait LaneHandler: Send + Sync {
    /// A request from the host: the reply's body, or an error message for it.
    fn request(&self, ty: u16, body: &[u8]) -> Result<Vec<u8>, String> {
        let _ = body;
        Err(format!("ferry does not answer message type {ty} here"))
    }
    /// An event from the host (no reply).
    fn event(&self, ty: u16, body: &[u8]) {
        let _ = body;
        tracing::warn!(
            ty,
            "the plugin host sent an event ferry does not know; ignored"
        );
    }
    /// The connection ended without ferry ending it (the host died, say), as `why` explains.
    fn lost(&self, why: HostError) {
        let _ = why;
    }
}

/// A handler for lanes where the host asks nothing.
pub struct NoQuestions;
impl LaneHandler for NoQuestions {}

enum Reply {
    Ok(Vec<u8>),
    Err(Vec<u8>),
    Closed(String),
}

pub struct Lane {
    name: String,
    writer: Arc<Mutex<BufWriter<UnixStream>>>,
    /// Held for a whole call: a lane carries one conversation at a time.
    replies: Mutex<Receiver<Reply>>,
    socket: UnixStream,
    /// How the host ended, if it did: tells a lost connection from a dead host.
    host_end: Arc<dyn Fn() -> Option<HostEnd> + Send + Sync>,
    /// Set when ferry ends the conversation, so that its end is not taken for a loss.
    ended_by_ferry: Arc<AtomicBool>,
}

impl Lane {
    pub fn new(
        name: String,
        socket: UnixStream,
        handler: Arc<dyn LaneHandler>,
        host_end: Arc<dyn Fn() -> Option<HostEnd> + Send + Sync>,
    ) -> Result<Lane, HostError> {
        let io = |e: std::io::Error| HostError::Host(format!("plugin host connection: {e}"));
        let reader = socket.try_clone().map_err(io)?;
        let writer = Arc::new(Mutex::new(BufWriter::new(socket.try_clone().map_err(io)?)));
        let (tx, rx) = mpsc::sync_channel(1);
        let thread_writer = writer.clone();
        let ended_by_ferry = Arc::new(AtomicBool::new(false));
        let ended = ended_by_ferry.clone();
        let why = host_end.clone();
        let lane_name = name.clone();
        std::thread::Builder::new()
            .name(format!("java-lane-{name}"))
            .spawn(move || {
                let end = read_loop(reader, thread_writer, handler.as_ref(), tx);
                if !ended.load(Ordering::SeqCst) {
                    handler.lost(closed_error(&lane_name, end, why()));
                }
            })
            .map_err(io)?;
        Ok(Lane {
            name,
            writer,
            replies: Mutex::new(rx),
            socket,
            host_end,
            ended_by_ferry,
        })
    }

    /// Sends a request and waits for its reply, at most `timeout` when given (then the lane is
    /// cut, so the host drops what it was doing for it).
    pub fn call(
        &self,
        ty: u16,
        body: &[u8],
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>, HostError> {
        let replies = self.replies.lock().unwrap_or_else(|p| p.into_inner());
        {
            let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = wire::write_frame(&mut *writer, Kind::Request, ty, body) {
                return Err(closed_error(
                    &self.name,
                    format!("could not reach the plugin host: {e}"),
                    (self.host_end)(),
                ));
            }
        }
        let reply = match timeout {
            None => replies.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(t) => replies.recv_timeout(t),
        };
        match reply {
            Ok(Reply::Ok(body)) => Ok(body),
            Ok(Reply::Err(body)) => Err(HostError::from_reply(&body)),
            Ok(Reply::Closed(why)) => Err(self.closed(why)),
            Err(RecvTimeoutError::Disconnected) => Err(self.closed(String::new())),
            Err(RecvTimeoutError::Timeout) => {
                self.cut();
                Err(HostError::Host(format!(
                    "the plugin host did not answer for {} within {} ms; its connection was cut",
                    self.name,
                    timeout.unwrap_or_default().as_millis()
                )))
            }
        }
    }

    fn closed(&self, why: String) -> HostError {
        closed_error(&self.name, why, (self.host_end)())
    }

    /// The conversation's last call (a stop): the host may close once it answered, which is
    /// then no loss; the lane is cut afterwards either way.
    pub fn call_last(
        &self,
        ty: u16,
        body: &[u8],
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>, HostError> {
        self.ended_by_ferry.store(true, Ordering::SeqCst);
        let reply = self.call(ty, body, timeout);
        self.cut();
        reply
    }

    /// Ends the conversation: the host stops what this lane served.
    pub fn cut(&self) {
        self.ended_by_ferry.store(true, Ordering::SeqCst);
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        self.cut();
    }
}

/// The error for a lane that closed under a call: the host's death when it died.
fn closed_error(lane: &str, why: String, end: Option<HostEnd>) -> HostError {
    match end {
        Some(end) => HostError::HostDied(end),
        None if why.is_empty() => HostError::Host(format!(
            "the plugin host closed the connection of {lane} (the host still runs)"
        )),
        None => HostError::Host(format!("{why} ({lane}; the host still runs)")),
    }
}

/// Serves the connection until it ends; returns why it ended (empty for a clean close).
fn read_loop(
    socket: UnixStream,
    writer: Arc<Mutex<BufWriter<UnixStream>>>,
    handler: &dyn LaneHandler,
    replies: SyncSender<Reply>,
) -> String {
    let mut input = BufReader::new(socket);
    let end = loop {
        let frame = match wire::read_frame(&mut input) {
            Ok(Some(frame)) => frame,
            Ok(None) => break String::new(),
            Err(e) => break format!("the plugin host connection broke: {e}"),
        };
        match frame.kind {
            Kind::Reply => {
                let _ = replies.send(Reply::Ok(frame.body));
            }
            Kind::ErrorReply => {
                let _ = replies.send(Reply::Err(frame.body));
            }
            Kind::Event => handler.event(frame.ty, &frame.body),
            Kind::Request => {
                let (kind, body) = match handler.request(frame.ty, &frame.body) {
                    Ok(body) => (Kind::Reply, body),
                    Err(message) => (
                        Kind::ErrorReply,
                        serde_json::json!({
                            "class": "ferry",
                            "message": message,
                            "trace": message,
                            "retriable": false,
                        })
                        .to_string()
                        .into_bytes(),
                    ),
                };
                let mut writer = writer.lock().unwrap_or_else(|p| p.into_inner());
                if wire::write_frame(&mut *writer, kind, frame.ty, &body).is_err() {
                    break String::new();
                }
            }
        }
    };
    let _ = replies.try_send(Reply::Closed(end.clone()));
    end
}
