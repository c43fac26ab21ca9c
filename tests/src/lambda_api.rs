//! A local Lambda Runtime API (the HTTP interface a Lambda runtime polls), so the real Lambda
//! binaries run their real `lambda_runtime` loop in tests and benchmarks: it hands out the
//! queued events, collects the responses, and notes when the first poll arrived (the end of
//! the function's init phase).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<(String, String)>,
    /// (request id, "response" | "error", body)
    results: Vec<(String, String, String)>,
    first_poll: Option<Instant>,
}

/// The server; dropped with the test (its thread is detached and idles on accept).
#[derive(Clone)]
pub struct RuntimeApi {
    pub addr: String,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl RuntimeApi {
    pub fn start() -> anyhow::Result<RuntimeApi> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?.to_string();
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, st);
                });
            }
        });
        Ok(RuntimeApi { addr, state })
    }

    /// Queues an event for the next poll.
    pub fn push(&self, request_id: &str, event: &str) {
        let (m, cv) = &*self.state;
        if let Ok(mut s) = m.lock() {
            s.queue
                .push_back((request_id.to_string(), event.to_string()));
        }
        cv.notify_all();
    }

    pub fn first_poll(&self) -> Option<Instant> {
        self.state.0.lock().ok().and_then(|s| s.first_poll)
    }

    /// Waits until `n` results arrived (or the timeout passed) and returns them.
    pub fn wait_results(&self, n: usize, timeout: Duration) -> Vec<(String, String, String)> {
        let (m, cv) = &*self.state;
        let deadline = Instant::now() + timeout;
        let mut s = match m.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        while s.results.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            s = match cv.wait_timeout(s, left) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        s.results.clone()
    }
}

fn serve(conn: TcpStream, st: Arc<(Mutex<State>, Condvar)>) -> anyhow::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        let (m, cv) = &*st;
        if method == "GET" && path.ends_with("/runtime/invocation/next") {
            let mut s = match m.lock() {
                Ok(s) => s,
                Err(p) => p.into_inner(),
            };
            s.first_poll.get_or_insert_with(Instant::now);
            while s.queue.is_empty() {
                s = match cv.wait(s) {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
            }
            let Some((id, event)) = s.queue.pop_front() else {
                continue;
            };
            drop(s);
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() + 300_000)
                .unwrap_or(0);
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:rampart\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\nContent-Length: {}\r\n\r\n{event}",
                event.len()
            )?;
        } else if method == "POST" {
            // /2018-06-01/runtime/invocation/<id>/response | /error, or /runtime/init/error
            let segs: Vec<&str> = path.split('/').collect();
            let kind = segs.last().copied().unwrap_or("").to_string();
            let id = if segs.len() >= 2 {
                segs[segs.len() - 2]
            } else {
                ""
            }
            .to_string();
            if let Ok(mut s) = m.lock() {
                s.results
                    .push((id, kind, String::from_utf8_lossy(&body).to_string()));
            }
            cv.notify_all();
            write!(out, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")?;
        } else {
            write!(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
        }
        out.flush()?;
    }
}

/// Environment a Lambda runtime expects, pointed at this API.
pub fn lambda_env(api: &RuntimeApi) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", api.addr.clone()),
        ("AWS_LAMBDA_FUNCTION_NAME", "rampart-hub".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "/aws/lambda/rampart-hub".into(),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "local".into()),
    ]
}
