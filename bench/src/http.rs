//! A minimal HTTP/1.1 client over one keep-alive TCP connection: enough for a load generator
//! that holds thousands of connections from one thread without becoming the bottleneck.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Interest};
use tokio::net::TcpStream;

pub struct Response {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub body: Vec<u8>,
    /// Bytes of the body as they crossed the wire (compressed, before de-chunking).
    pub wire_bytes: usize,
    /// The `Content-Encoding` the server chose, lower-cased.
    encoding: Option<String>,
    /// When the answer's first bytes reached this machine's socket, by the kernel's clock (polls
    /// only). One client thread reads thousands of connections, so the moment it gets round to
    /// reading an answer is later than the moment a person's own browser would have it.
    pub arrived: Option<SystemTime>,
}

impl Response {
    /// The body as text, decompressed when the server sent it gzip- or Brotli-encoded.
    pub fn text(&self) -> String {
        if self.encoding.is_none() {
            return String::from_utf8_lossy(&self.body).into_owned();
        }
        // A thousand tabs woken by one message get the same shared answer, byte for byte. One
        // decompression serves them all: this client shares the two cores with the server, and
        // a person's browser decompresses only its own answer, on its own machine.
        RECENTLY_DECODED.with_borrow_mut(|recent| {
            if let Some((_, text)) = recent.iter().find(|(body, _)| *body == self.body) {
                return text.clone();
            }
            let mut decoder: Box<dyn std::io::Read + '_> = match self.encoding.as_deref() {
                Some("gzip") => Box::new(flate2::bufread::GzDecoder::new(&self.body[..])),
                Some("br") => {
                    Box::new(brotli_decompressor::Decompressor::new(&self.body[..], 4096))
                }
                _ => Box::new(&self.body[..]),
            };
            let mut plain = Vec::new();
            let plain = std::io::Read::read_to_end(&mut decoder, &mut plain).map(|_| plain);
            let text = String::from_utf8_lossy(plain.as_deref().unwrap_or(&self.body)).into_owned();
            if recent.len() == RECENTLY_DECODED_KEPT {
                recent.remove(0);
            }
            recent.push((self.body.clone(), text.clone()));
            text
        })
    }
}

const RECENTLY_DECODED_KEPT: usize = 8;

thread_local! {
    static RECENTLY_DECODED: std::cell::RefCell<Vec<(Vec<u8>, String)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

pub struct Conn {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        receive_timestamps(&stream)?;
        // A small read buffer: ten thousand parked connections should not cost the client much.
        Ok(Conn {
            stream: BufReader::with_capacity(2048, stream),
            host: addr.to_string(),
        })
    }

    pub async fn get(
        &mut self,
        path: &str,
        cookie: Option<&str>,
        gzip: bool,
    ) -> io::Result<Response> {
        self.send("GET", path, cookie, None, gzip).await
    }

    /// A page as a browser asks for it: taking every encoding a browser takes (Brotli, then).
    pub async fn get_as_browser(
        &mut self,
        path: &str,
        cookie: Option<&str>,
    ) -> io::Result<Response> {
        self.write_request(
            "GET",
            path,
            cookie,
            None,
            false,
            "Accept-Encoding: gzip, deflate, br, zstd\r\n",
        )
        .await?;
        self.read_response().await
    }

    /// A poll as htmx asks for it in Chromium: the headers a browser sends (about twenty),
    /// since the server keeps every one of them while the poll waits.
    pub async fn poll(&mut self, path: &str, cookie: &str, page: &str) -> io::Result<Response> {
        let browser = format!(
            "Connection: keep-alive\r\n\
             sec-ch-ua-platform: \"Linux\"\r\n\
             HX-Target: poller\r\n\
             HX-Current-URL: http://{host}{page}\r\n\
             sec-ch-ua: \"Chromium\";v=\"156\", \"Not:A-Brand\";v=\"24\"\r\n\
             sec-ch-ua-mobile: ?0\r\n\
             HX-Request: true\r\n\
             HX-Trigger: poller\r\n\
             User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/156.0.0.0 Safari/537.36\r\n\
             Accept: */*\r\n\
             Sec-Fetch-Site: same-origin\r\n\
             Sec-Fetch-Mode: cors\r\n\
             Sec-Fetch-Dest: empty\r\n\
             Referer: http://{host}{page}\r\n\
             Accept-Encoding: gzip, deflate, br, zstd\r\n\
             Accept-Language: en-GB,en;q=0.9\r\n\
             Priority: u=1, i\r\n",
            host = self.host
        );
        self.write_request("GET", path, Some(cookie), None, false, &browser)
            .await?;
        let arrived = self.arrival().await?;
        let mut response = self.read_response().await?;
        response.arrived = arrived;
        Ok(response)
    }

    /// Waits for the answer's first bytes and returns when the kernel received them; None when
    /// bytes were already buffered here.
    async fn arrival(&mut self) -> io::Result<Option<SystemTime>> {
        if !self.stream.buffer().is_empty() {
            return Ok(None);
        }
        let socket = self.stream.get_ref();
        loop {
            socket.readable().await?;
            match socket.try_io(Interest::READABLE, || peek_timestamp(socket.as_raw_fd())) {
                Ok(at) => return Ok(at),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
    }

    pub async fn post_form(
        &mut self,
        path: &str,
        cookie: Option<&str>,
        form: &str,
    ) -> io::Result<Response> {
        let form = Some(("application/x-www-form-urlencoded", form.as_bytes()));
        self.send("POST", path, cookie, form, false).await
    }

    /// A POST with a body of any type (a multipart form with files).
    pub async fn post_body(
        &mut self,
        path: &str,
        cookie: Option<&str>,
        content_type: &str,
        body: &[u8],
    ) -> io::Result<Response> {
        self.send("POST", path, cookie, Some((content_type, body)), false)
            .await
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        body: Option<(&str, &[u8])>,
        gzip: bool,
    ) -> io::Result<Response> {
        self.write_request(method, path, cookie, body, gzip, "")
            .await?;
        self.read_response().await
    }

    async fn write_request(
        &mut self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        body: Option<(&str, &[u8])>,
        gzip: bool,
        more_headers: &str,
    ) -> io::Result<()> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        head.push_str(more_headers);
        if let Some(cookie) = cookie {
            head.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        if gzip {
            head.push_str("Accept-Encoding: gzip\r\n");
        }
        if let Some((content_type, body)) = body {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        if let Some((_, body)) = body {
            request.extend_from_slice(body);
        }
        self.stream.get_mut().write_all(&request).await
    }

    async fn read_response(&mut self) -> io::Result<Response> {
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad status line {line:?}")))?;
        let (mut length, mut chunked, mut location, mut set_cookie) = (None, false, None, None);
        let mut encoding = None;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "location" => location = Some(value.to_owned()),
                "set-cookie" => set_cookie = value.split(';').next().map(str::to_owned),
                "content-encoding" => encoding = Some(value.to_ascii_lowercase()),
                _ => {}
            }
        }
        let mut body = Vec::new();
        let mut wire_bytes = 0;
        if chunked {
            loop {
                line.clear();
                self.stream.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16)
                    .map_err(|_| io::Error::other(format!("bad chunk size {line:?}")))?;
                let mut chunk = vec![0; size + 2];
                self.stream.read_exact(&mut chunk).await?;
                wire_bytes += size;
                body.extend_from_slice(&chunk[..size]);
                if size == 0 {
                    break;
                }
            }
        } else if let Some(length) = length {
            body.resize(length, 0);
            self.stream.read_exact(&mut body).await?;
            wire_bytes = length;
        }
        Ok(Response {
            status,
            location,
            set_cookie,
            body,
            wire_bytes,
            encoding,
            arrived: None,
        })
    }
}

/// Asks the kernel to stamp every segment this socket receives with the time it arrived.
fn receive_timestamps(stream: &TcpStream) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: a valid descriptor, and an int option of the size given.
    let done = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The kernel's arrival time of the first unread bytes, read without taking them.
fn peek_timestamp(fd: std::os::fd::RawFd) -> io::Result<Option<SystemTime>> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: byte.len(),
    };
    // Room for one control message holding a timespec, aligned as cmsghdr needs.
    let mut control = [0u64; 8];
    // SAFETY: msghdr is plain data; every pointer in it refers to a live local buffer.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = &mut iov;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = std::mem::size_of_val(&control);
    // SAFETY: as above; MSG_PEEK leaves the bytes for the reader.
    let read = unsafe { libc::recvmsg(fd, &mut message, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
    if read < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the CMSG macros walk the control buffer the kernel just filled.
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(&message);
        while !header.is_null() {
            if (*header).cmsg_level == libc::SOL_SOCKET
                && (*header).cmsg_type == libc::SCM_TIMESTAMPNS
            {
                let at = std::ptr::read_unaligned(libc::CMSG_DATA(header).cast::<libc::timespec>());
                return Ok(Some(
                    SystemTime::UNIX_EPOCH + Duration::new(at.tv_sec as u64, at.tv_nsec as u32),
                ));
            }
            header = libc::CMSG_NXTHDR(&message, header);
        }
    }
    Ok(None)
}
