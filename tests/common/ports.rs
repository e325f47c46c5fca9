//! Ports for tests, shared by the test binaries (included with `#[path]`).

/// A loopback port that refuses every connection for as long as the returned
/// socket lives: the socket is bound (so no other test in this process can
/// take the port) but never listens (so a connect gets "connection refused").
/// Binding a listener and dropping it would leave the port free for another
/// test's server to pick up in between, which made the "unreachable server"
/// tests flaky under parallel load.
pub fn refusing_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let port = socket.local_addr().expect("addr").port();
    (socket, port)
}
