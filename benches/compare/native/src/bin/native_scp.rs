//! A fastdimse Verification SCP without Python: the core alone, for telling what the
//! Python process adds to a measurement. Prints `PORT <n>`; serves until killed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fastdimse::assoc::{AcceptorConfig, SupportedContext};
use fastdimse::net::{NoHooks, Server, ServerConfig, Timeouts};

fn main() {
    let mut acceptor = AcceptorConfig::new("ANY-SCP");
    acceptor.supported = vec![SupportedContext::new(
        fastdimse::uid::VERIFICATION,
        [
            fastdimse::uid::IMPLICIT_VR_LE,
            fastdimse::uid::EXPLICIT_VR_LE,
        ],
    )];
    let cfg = ServerConfig {
        acceptor,
        timeouts: Timeouts {
            acse: Some(Duration::from_secs(30)),
            dimse: Some(Duration::from_secs(30)),
            network: Some(Duration::from_secs(60)),
            connection: None,
        },
        maximum_associations: 256,
        upgrade: None,
        poll_ceiling: None,
    };
    let bind: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let server = Server::start(bind, cfg, Arc::new(NoHooks)).expect("server starts");
    println!("PORT {}", server.local_addr().port());
    loop {
        std::thread::park();
    }
}
