//! The TLS layer against DCMTK (built with OpenSSL) over loopback TCP: `echoscu +tls` handshakes
//! with `fastdimse::tls::accept` and its A-ASSOCIATE-RQ arrives decrypted; `connect` handshakes
//! with `storescp +tls`; TLS 1.3 and 1.2 (DCMTK's default Non-downgrading BCP 195 profile),
//! mutual TLS and a client without a certificate. RSA certificates made at test time with the
//! `openssl` command (rcgen with ring makes no RSA keys). Skipped, with a note, without DCMTK
//! or openssl.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use fastdimse::tls::{
    accept, client_config, connect, peer_subject, server_config, CaSource, FailureKind, PemSource,
    TlsSettings, TlsVersion, VerifyPeer,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

const ECHOSCU: &str = "/usr/bin/echoscu";
const STORESCP: &str = "/usr/bin/storescp";

fn have_tools() -> bool {
    let openssl = Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let ok = openssl && Path::new(ECHOSCU).exists() && Path::new(STORESCP).exists();
    if !ok {
        eprintln!("skipped: needs openssl, {ECHOSCU} and {STORESCP}");
    }
    ok
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A temporary directory with ca.pem, server.{pem,key} and client.{pem,key} (RSA 2048).
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn new(tag: &str) -> Pki {
        let dir =
            std::env::temp_dir().join(format!("fastdimse-dcmtk-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        openssl(
            &dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=fastdimse DCMTK test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        for name in ["server", "client"] {
            let subj = format!("/CN={name}/O=fastdimse tests");
            openssl(
                &dir,
                &[
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.csr"),
                    "-subj",
                    &subj,
                ],
            );
            std::fs::write(
                dir.join(format!("{name}.ext")),
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
            )
            .unwrap();
            openssl(
                &dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &format!("{name}.csr"),
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-days",
                    "2",
                    "-out",
                    &format!("{name}.pem"),
                    "-extfile",
                    &format!("{name}.ext"),
                ],
            );
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    fn settings(&self, leaf: Option<&str>, verify: VerifyPeer) -> TlsSettings {
        TlsSettings {
            cert_chain: leaf.map(|n| PemSource::Path(self.dir.join(format!("{n}.pem")))),
            private_key: leaf.map(|n| PemSource::Path(self.dir.join(format!("{n}.key")))),
            ca: vec![CaSource::File(self.dir.join("ca.pem"))],
            verify_peer: verify,
            check_hostname: true,
            server_name: Some("localhost".into()),
            ..TlsSettings::default()
        }
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `echoscu` with `tls_args` against a TLS server made from `server`; returns the accept
/// result's protocol, suite and peer subject, or its error kind.
async fn echoscu_to_us(
    pki: &Pki,
    server: TlsSettings,
    tls_args: &[String],
) -> Result<(rustls::ProtocolVersion, String, Option<String>), FailureKind> {
    let cfg = server_config(&server).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let mut child = tokio::process::Command::new(ECHOSCU)
        .args(tls_args)
        .args(["+cf", &pki.path("ca.pem"), "127.0.0.1", &port])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (tcp, _) = listener.accept().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let result = match accept(tcp, cfg, deadline).await {
        Ok(mut tls) => {
            // The A-ASSOCIATE-RQ arrives decrypted; answer with an A-ASSOCIATE-RJ.
            let mut head = [0u8; 6];
            tls.read_exact(&mut head).await.unwrap();
            assert_eq!(&head[..2], b"\x01\x00", "an A-ASSOCIATE-RQ");
            tls.write_all(b"\x03\x00\x00\x00\x00\x04\x00\x01\x01\x01")
                .await
                .unwrap();
            tls.shutdown().await.unwrap();
            let conn = tls.get_ref().1;
            Ok((
                conn.protocol_version().unwrap(),
                format!("{:?}", conn.negotiated_cipher_suite().unwrap().suite()),
                peer_subject(conn),
            ))
        }
        Err(e) => Err(e.kind().unwrap()),
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    result
}

fn tls_args(pki: &Pki, leaf: &str) -> Vec<String> {
    vec![
        "+tls".into(),
        pki.path(&format!("{leaf}.key")),
        pki.path(&format!("{leaf}.pem")),
    ]
}

#[tokio::test]
async fn echoscu_tls_to_our_accept() {
    if !have_tools() {
        return;
    }
    let pki = Pki::new("accept");
    // TLS 1.3, mutual TLS required and presented.
    let (version, _, subject) = echoscu_to_us(
        &pki,
        pki.settings(Some("server"), VerifyPeer::Require),
        &tls_args(&pki, "client"),
    )
    .await
    .unwrap();
    assert_eq!(version, rustls::ProtocolVersion::TLSv1_3);
    assert_eq!(subject.as_deref(), Some("O=fastdimse tests,CN=client"));
    // TLS 1.2 with DCMTK's default profile: an ECDHE_RSA AES-GCM suite.
    let mut server = pki.settings(Some("server"), VerifyPeer::Require);
    server.max_version = TlsVersion::Tls12;
    let (version, suite, _) = echoscu_to_us(&pki, server, &tls_args(&pki, "client"))
        .await
        .unwrap();
    assert_eq!(version, rustls::ProtocolVersion::TLSv1_2);
    assert!(suite.starts_with("TLS_ECDHE_RSA_WITH_AES_"), "{suite}");
    // Anonymous client (+tla) to a server that requires a certificate.
    let err = echoscu_to_us(
        &pki,
        pki.settings(Some("server"), VerifyPeer::Require),
        &["+tla".to_string()],
    )
    .await
    .unwrap_err();
    assert_eq!(err, FailureKind::NoClientCertificate);
    // ... and to one that does not ask for one.
    let (_, _, subject) = echoscu_to_us(
        &pki,
        pki.settings(Some("server"), VerifyPeer::None),
        &["+tla".to_string()],
    )
    .await
    .unwrap();
    assert_eq!(subject, None);
}

/// Connects with `client` to a `storescp +tls` started with `scp_args`; returns the protocol
/// version or the error kind.
async fn us_to_storescp(
    pki: &Pki,
    client: TlsSettings,
    scp_args: &[&str],
) -> Result<rustls::ProtocolVersion, FailureKind> {
    let cfg = client_config(&client).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = tokio::process::Command::new(STORESCP)
        .args(["+tls", &pki.path("server.key"), &pki.path("server.pem")])
        .args(["+cf", &pki.path("ca.pem")])
        .args(scp_args)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // storescp says nothing when it listens: try until the port answers (bounded).
    let start = Instant::now();
    let tcp = loop {
        match TcpStream::connect(("127.0.0.1", port)).await {
            Ok(tcp) => break tcp,
            Err(_) if start.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => panic!("storescp did not listen: {e}"),
        }
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let result = match connect(tcp, cfg, Some("localhost"), deadline).await {
        Ok(mut tls) => {
            // TLS 1.3: the server checks our certificate after our side is done; a write and
            // a read show whether it accepted us.
            tls.write_all(b"\x07\x00\x00\x00\x00\x04\x00\x00\x00\x00")
                .await
                .unwrap();
            tls.flush().await.unwrap();
            let mut buf = [0u8; 16];
            match tls.read(&mut buf).await {
                Err(e) => Err(fastdimse::tls::classify_io_error(&e).kind),
                Ok(_) => Ok(tls.get_ref().1.protocol_version().unwrap()),
            }
        }
        Err(e) => Err(e.kind().unwrap()),
    };
    child.kill().await.unwrap();
    result
}

#[tokio::test]
async fn our_connect_to_storescp_tls() {
    if !have_tools() {
        return;
    }
    let pki = Pki::new("connect");
    let client = pki.settings(Some("client"), VerifyPeer::Require);
    assert_eq!(
        us_to_storescp(&pki, client.clone(), &[]).await,
        Ok(rustls::ProtocolVersion::TLSv1_3)
    );
    let mut tls12 = client.clone();
    tls12.max_version = TlsVersion::Tls12;
    assert_eq!(
        us_to_storescp(&pki, tls12, &[]).await,
        Ok(rustls::ProtocolVersion::TLSv1_2)
    );
    // storescp requires a client certificate by default.
    let anonymous = pki.settings(None, VerifyPeer::Require);
    let err = us_to_storescp(&pki, anonymous, &[]).await.unwrap_err();
    assert!(
        matches!(
            err,
            FailureKind::NoClientCertificate | FailureKind::PeerAlert
        ),
        "{err:?}"
    );
}

/// Accepts one connection from a command and returns the handshake's error kind (or `None`).
async fn accept_from(
    pki: &Pki,
    program: &str,
    args: &[&str],
    port_arg: bool,
) -> Option<FailureKind> {
    let cfg = server_config(&pki.settings(Some("server"), VerifyPeer::None)).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args);
    if port_arg {
        cmd.args(["127.0.0.1", &port.to_string()]);
    } else {
        cmd.args(["-connect", &format!("127.0.0.1:{port}")]);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (tcp, _) = listener.accept().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let kind = accept(tcp, cfg, deadline).await.err().map(|e| {
        eprintln!("{program}: {e}");
        e.kind().unwrap()
    });
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    kind
}

#[tokio::test]
async fn old_tls_and_plain_dicom_clients_are_named() {
    if !have_tools() {
        return;
    }
    let pki = Pki::new("refuse");
    // A TLS 1.1-only client (OpenSSL needs security level 0 to offer it at all).
    let kind = accept_from(
        &pki,
        "openssl",
        &["s_client", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"],
        false,
    )
    .await;
    assert_eq!(kind, Some(FailureKind::ProtocolVersion));
    // DCMTK's echoscu without +tls on a TLS port.
    let kind = accept_from(&pki, ECHOSCU, &[], true).await;
    assert_eq!(kind, Some(FailureKind::PlainDicom));
}

#[tokio::test]
async fn tls_client_on_a_plain_storescp_is_named() {
    if !have_tools() {
        return;
    }
    let pki = Pki::new("plainscp");
    let cfg = client_config(&pki.settings(None, VerifyPeer::Require)).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = tokio::process::Command::new(STORESCP)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let start = Instant::now();
    let tcp = loop {
        match TcpStream::connect(("127.0.0.1", port)).await {
            Ok(tcp) => break tcp,
            Err(_) if start.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => panic!("storescp did not listen: {e}"),
        }
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let err = connect(tcp, cfg, Some("localhost"), deadline)
        .await
        .err()
        .unwrap();
    // storescp answers the ClientHello (read as an unknown PDU) with an A-ABORT or closes.
    assert!(
        matches!(
            err.kind(),
            Some(FailureKind::NotTls | FailureKind::ClosedByPeer)
        ),
        "{err}"
    );
    assert!(err.to_string().contains("plain"), "{err}");
    child.kill().await.unwrap();
}
