//! Just enough HTTP/1.1 for the fault proxy: read a request or a response with its framing
//! (`Content-Length`, chunked, or to the end of the connection), and write one back out with a
//! plain `Content-Length`, so what passes through is re-framed and never half-forwarded.

use std::io;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A head larger than this is refused (the SDK's are a few kilobytes).
const MAX_HEAD: usize = 64 * 1024;
/// A body larger than this is refused (the emulator's answers are far smaller).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A start line and headers, names as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    pub start: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first value of header `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A request's method and target (`POST`, `/path?query`).
    pub fn request_line(&self) -> (&str, &str) {
        let mut parts = self.start.split(' ');
        (parts.next().unwrap_or(""), parts.next().unwrap_or("/"))
    }

    /// A response's status code (0 when the line is not a status line).
    pub fn status(&self) -> u16 {
        self.start
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    fn chunked(&self) -> bool {
        self.get("transfer-encoding")
            .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    }

    fn content_length(&self) -> io::Result<Option<usize>> {
        match self.get("content-length") {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| invalid(format!("bad Content-Length {v:?}"))),
        }
    }
}

/// A message with its body de-chunked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub head: Head,
    pub body: Vec<u8>,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Reads a head; `None` when the peer closed before sending anything (an idle keep-alive
/// connection ending).
pub async fn read_head<R: AsyncBufRead + Unpin>(r: &mut R) -> io::Result<Option<Head>> {
    let mut head = Head::default();
    let mut size = 0usize;
    let mut first = true;
    loop {
        let mut line = String::new();
        let n = r.read_line(&mut line).await?;
        if n == 0 {
            return if first {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        size += n;
        if size > MAX_HEAD {
            return Err(invalid("head too large".into()));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if first {
            // Tolerate stray blank lines between keep-alive messages.
            if line.is_empty() {
                continue;
            }
            head.start = line.to_string();
            first = false;
        } else if line.is_empty() {
            return Ok(Some(head));
        } else if let Some((k, v)) = line.split_once(':') {
            head.headers
                .push((k.trim().to_string(), v.trim().to_string()));
        }
    }
}

/// Reads a request's body as its head frames it (no length: no body).
pub async fn read_request_body<R: AsyncBufRead + Unpin>(
    r: &mut R,
    head: &Head,
) -> io::Result<Vec<u8>> {
    if head.chunked() {
        read_chunked(r).await
    } else {
        match head.content_length()? {
            Some(n) => read_exact(r, n).await,
            None => Ok(Vec::new()),
        }
    }
}

/// Reads a response's body; `method` is the request's (HEAD answers carry none).
pub async fn read_response_body<R: AsyncBufRead + Unpin>(
    r: &mut R,
    head: &Head,
    method: &str,
) -> io::Result<Vec<u8>> {
    let status = head.status();
    if method.eq_ignore_ascii_case("HEAD")
        || (100..200).contains(&status)
        || [204, 304].contains(&status)
    {
        return Ok(Vec::new());
    }
    if head.chunked() {
        return read_chunked(r).await;
    }
    match head.content_length()? {
        Some(n) => read_exact(r, n).await,
        None => {
            let mut body = Vec::new();
            r.take(MAX_BODY as u64 + 1).read_to_end(&mut body).await?;
            if body.len() > MAX_BODY {
                return Err(invalid("body too large".into()));
            }
            Ok(body)
        }
    }
}

async fn read_exact<R: AsyncBufRead + Unpin>(r: &mut R, n: usize) -> io::Result<Vec<u8>> {
    if n > MAX_BODY {
        return Err(invalid(format!("body of {n} bytes too large")));
    }
    let mut body = vec![0u8; n];
    r.read_exact(&mut body).await?;
    Ok(body)
}

async fn read_chunked<R: AsyncBufRead + Unpin>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let size_text = line.trim().split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| invalid(format!("bad chunk size {size_text:?}")))?;
        if size == 0 {
            // Trailers, up to the blank line.
            loop {
                let mut t = String::new();
                if r.read_line(&mut t).await? == 0 || t.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(invalid("body too large".into()));
        }
        body.extend(read_exact(r, size).await?);
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf).await?;
    }
}

/// Hop-by-hop headers (and the framing, rewritten on the way out).
fn hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "expect",
        "proxy-connection",
        "te",
        "upgrade",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// The bytes of `msg` re-framed with `Content-Length` and `connection` (`close` or
/// `keep-alive`). `bodiless` keeps the head's own length and sends no body (a HEAD answer).
pub fn encode(msg: &Message, connection: &str, bodiless: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.body.len() + 512);
    out.extend_from_slice(msg.head.start.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (k, v) in &msg.head.headers {
        if hop_by_hop(k) && !(bodiless && k.eq_ignore_ascii_case("content-length")) {
            continue;
        }
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    if !bodiless {
        out.extend_from_slice(format!("Content-Length: {}\r\n", msg.body.len()).as_bytes());
    }
    out.extend_from_slice(format!("Connection: {connection}\r\n\r\n").as_bytes());
    if !bodiless {
        out.extend_from_slice(&msg.body);
    }
    out
}

/// Writes `msg` (see [`encode`]).
pub async fn write<W: AsyncWrite + Unpin>(
    w: &mut W,
    msg: &Message,
    connection: &str,
    bodiless: bool,
) -> io::Result<()> {
    w.write_all(&encode(msg, connection, bodiless)).await?;
    w.flush().await
}

/// A response with `status`, `headers` and `body` (the reason phrase from the status).
pub fn response(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> Message {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    };
    Message {
        head: Head {
            start: format!("HTTP/1.1 {status} {reason}"),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        },
        body,
    }
}
