//! The yardstick for `scripts/bench-server`: a bare hyper HTTP/1.1 server that
//! answers every request with a small JSON body after reading the request
//! body, on the same runtime as `serve` (a multi-thread tokio runtime whose
//! worker count `TOKIO_WORKER_THREADS` sets for both). Whatever `serve` does
//! beyond this is what the benchmark's ratio measures.
//!
//! Usage: `hello_server ADDR` (e.g. `127.0.0.1:0`); the first stdout line is
//! the base URL, as with `serve`.

use std::convert::Infallible;
use std::io::Write;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

async fn hello(
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    // Read the body as `serve` does, so a push costs both the same bytes.
    let _ = request.into_body().collect().await;
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(b"{\"status\":\"ok\"}")));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

fn main() -> std::process::ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("hello_server: cannot start the runtime: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&addr).await {
            Ok(listener) => listener,
            Err(err) => {
                eprintln!("hello_server: cannot listen on {addr}: {err}");
                return std::process::ExitCode::from(2);
            }
        };
        match listener.local_addr() {
            Ok(bound) => {
                let mut stdout = std::io::stdout();
                let _ = writeln!(stdout, "http://{bound}");
                let _ = stdout.flush();
            }
            Err(err) => {
                eprintln!("hello_server: {err}");
                return std::process::ExitCode::from(2);
            }
        }
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(hello))
                    .await;
            });
        }
    })
}
