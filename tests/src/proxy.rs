//! A fault proxy: a TCP proxy on 127.0.0.1 between the SDK and the real Asterisk that can cut,
//! stall or slow the connections through it, so the event stream's recovery is proven against a
//! real server.
//!
//! * [`FaultProxy::cut`]: a network partition. Every connection through the proxy loses its
//!   client side at once (the SDK sees its socket close), while the Asterisk side is held open
//!   and silently drained until the proxy is dropped — Asterisk does not notice, so its
//!   applications stay registered and calls can still enter them. New connections are accepted
//!   and closed at once until [`restore`](FaultProxy::restore).
//! * [`FaultProxy::stall`]: nothing is forwarded in either direction, every socket stays open
//!   (the SDK can only notice by its ping deadline). New connections stall too.
//! * [`FaultProxy::slow`]: every chunk is forwarded after a delay.
//!
//! Every task of the proxy ends when it is dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// What the proxy does with the bytes it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward everything.
    Pass,
    /// A partition: client sides closed, Asterisk sides held open and drained.
    Cut,
    /// Forward nothing, close nothing.
    Stall,
    /// Forward each chunk after this delay.
    Slow(Duration),
}

/// A running fault proxy; stops (closing every connection) when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    mode: Arc<watch::Sender<Mode>>,
    tasks: Option<tokio::task::JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1 (a free port) forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the fault proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let mode = Arc::new(watch::channel(Mode::Pass).0);
        let modes = Arc::clone(&mode);
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if *modes.borrow() == Mode::Cut {
                    drop(client);
                    continue;
                }
                let rx = modes.subscribe();
                connections.spawn(carry(client, upstream, rx));
                // Reap finished connections so the set stays small.
                while connections.try_join_next().is_some() {}
            }
        });
        FaultProxy {
            addr,
            mode,
            tasks: Some(task),
        }
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `url` (an `http://127.0.0.1:PORT/...` URL of the upstream) pointed at the proxy instead.
    pub fn url_for(&self, url: &str) -> String {
        let rest = url
            .strip_prefix("http://")
            .and_then(|r| r.split_once('/'))
            .map(|(_, path)| path)
            .unwrap_or_else(|| panic!("not an http:// URL with a path: {url}"));
        format!("http://{}/{rest}", self.addr)
    }

    /// Partitions the network (see the module docs).
    pub fn cut(&self) {
        self.mode.send_replace(Mode::Cut);
    }

    /// Stops forwarding, keeping every socket open.
    pub fn stall(&self) {
        self.mode.send_replace(Mode::Stall);
    }

    /// Forwards every chunk after `delay`.
    pub fn slow(&self, delay: Duration) {
        self.mode.send_replace(Mode::Slow(delay));
    }

    /// Forwards everything again (connections cut meanwhile stay cut).
    pub fn restore(&self) {
        self.mode.send_replace(Mode::Pass);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(task) = self.tasks.take() {
            // The connection tasks are in the accept task's JoinSet: aborting it drops them all.
            task.abort();
        }
    }
}

/// Carries one connection until either side closes or it is cut.
async fn carry(client: TcpStream, upstream: SocketAddr, mode: watch::Receiver<Mode>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pump(client_read, server_write, mode.clone(), Side::Client);
    let down = pump(server_read, client_write, mode, Side::Server);
    // When the client side is cut, the server side must stay open: run both to their ends.
    let _ = tokio::join!(up, down);
}

/// Which side a pump reads from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

/// Forwards `from` to `to` as `mode` says. On a cut, the pump reading the server shuts the
/// client's side down and drains the server into nothing until it closes; the one reading the
/// client holds the server's side open.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
    side: Side,
) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut cut = false;
    loop {
        let current = *mode.borrow_and_update();
        if current == Mode::Cut && !cut {
            cut = true;
            if side == Side::Server {
                // The client's socket is this pump's writer: shut it down and drop it.
                let _ = to.shutdown().await;
            } else {
                // The client's socket is this pump's reader: drop it. The server's is the writer:
                // dropping it would send Asterisk a FIN, so hold it until the proxy is dropped.
                drop(from);
                std::future::pending::<()>().await;
                return;
            }
        }
        if current == Mode::Stall && !cut {
            if mode.changed().await.is_err() {
                return;
            }
            continue;
        }
        tokio::select! {
            read = from.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => {
                        // The client closing because of a cut (it saw its socket shut down) must not
                        // reach Asterisk: hold the server's side open as for the cut itself.
                        if side == Side::Client && (cut || *mode.borrow() == Mode::Cut) {
                            drop(from);
                            std::future::pending::<()>().await;
                        }
                        let _ = to.shutdown().await;
                        return;
                    }
                    Ok(n) => n,
                };
                if cut {
                    continue;
                }
                let mut now = *mode.borrow();
                if now == Mode::Stall {
                    // Hold the chunk until the stall ends.
                    while now == Mode::Stall {
                        if mode.changed().await.is_err() {
                            return;
                        }
                        now = *mode.borrow_and_update();
                    }
                }
                if now == Mode::Cut {
                    continue;
                }
                if let Mode::Slow(delay) = now {
                    tokio::time::sleep(delay).await;
                }
                if to.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
            changed = mode.changed(), if !cut => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}
