//! The TLS layer (`fastdimse::tls`) end to end over in-memory pipes: configurations from
//! settings, handshakes in both roles with TLS 1.3 and 1.2, mutual TLS, each certificate
//! failure sorted into its category, plain DICOM on a TLS port, and the handshake deadline.
//! Certificates are made at test time with rcgen.

use std::time::Duration;

use fastdimse::tls::{
    accept, client_config, connect, describe_first_bytes, looks_like_dicom, looks_like_tls,
    peer_identity, peer_subject, server_config, CaSource, CrlCheck, FailureKind, PemSource,
    TlsError, TlsSettings, TlsVersion, VerifyPeer,
};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio::io::{duplex, AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::Instant;

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

fn make_ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    Ca { params, key, pem }
}

/// A leaf certificate signed by `ca`: (certificate PEM, key PEM).
fn make_leaf(ca: &Ca, cn: &str, sans: &[&str], expired: bool) -> (String, String) {
    make_leaf_serial(ca, cn, sans, expired, None)
}

fn make_leaf_serial(
    ca: &Ca,
    cn: &str,
    sans: &[&str],
    expired: bool,
    serial: Option<u64>,
) -> (String, String) {
    let mut params =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "fastdimse tests");
    dn.push(DnType::CountryName, "DE");
    params.distinguished_name = dn;
    params.serial_number = serial.map(rcgen::SerialNumber::from);
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    let cert = params.signed_by(&key, &issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn bytes(s: &str) -> PemSource {
    PemSource::Bytes {
        data: s.as_bytes().to_vec(),
        origin: None,
    }
}

struct Pki {
    ca: Ca,
    server: (String, String),
    client: (String, String),
    expired: (String, String),
    other_host: (String, String),
    stranger: (String, String),
}

fn pki() -> Pki {
    let ca = make_ca("fastdimse test CA");
    let server = make_leaf(&ca, "server", &["localhost", "127.0.0.1"], false);
    let client = make_leaf(&ca, "client", &["client.example"], false);
    let expired = make_leaf(&ca, "expired", &["localhost", "127.0.0.1"], true);
    let other_host = make_leaf(&ca, "other", &["other.example"], false);
    let other_ca = make_ca("someone else's CA");
    let stranger = make_leaf(&other_ca, "stranger", &["localhost", "127.0.0.1"], false);
    Pki {
        ca,
        server,
        client,
        expired,
        other_host,
        stranger,
    }
}

fn server_settings(pki: &Pki, leaf: &(String, String), verify: VerifyPeer) -> TlsSettings {
    TlsSettings {
        cert_chain: Some(bytes(&leaf.0)),
        private_key: Some(bytes(&leaf.1)),
        ca: vec![CaSource::Pem {
            data: pki.ca.pem.as_bytes().to_vec(),
            origin: None,
        }],
        verify_peer: verify,
        check_hostname: false,
        ..TlsSettings::default()
    }
}

fn client_settings(pki: &Pki, name: Option<&str>) -> TlsSettings {
    TlsSettings {
        ca: vec![CaSource::Pem {
            data: pki.ca.pem.as_bytes().to_vec(),
            origin: None,
        }],
        server_name: name.map(str::to_string),
        ..TlsSettings::default()
    }
}

fn with_client_cert(mut s: TlsSettings, leaf: &(String, String)) -> TlsSettings {
    s.cert_chain = Some(bytes(&leaf.0));
    s.private_key = Some(bytes(&leaf.1));
    s
}

type Both = (
    Result<fastdimse::tls::ServerStream<DuplexStream>, TlsError>,
    Result<fastdimse::tls::ClientStream<DuplexStream>, TlsError>,
);

async fn handshake(server: &TlsSettings, client: &TlsSettings) -> Both {
    let (a, b) = duplex(64 * 1024);
    let sc = server_config(server).unwrap();
    let cc = client_config(client).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let name = client.server_name.clone();
    tokio::join!(
        accept(a, sc, deadline),
        connect(b, cc, name.as_deref(), deadline)
    )
}

/// Sends a few bytes each way over an established pair.
async fn exchange(both: Both) {
    let (mut s, mut c) = (both.0.unwrap(), both.1.unwrap());
    c.write_all(b"\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00")
        .await
        .unwrap();
    c.flush().await.unwrap();
    let mut buf = [0u8; 10];
    s.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf[0], 0x05);
    s.write_all(b"\x06\x00\x00\x00\x00\x04\x00\x00\x00\x00")
        .await
        .unwrap();
    s.flush().await.unwrap();
    c.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf[0], 0x06);
}

fn kind<T>(r: &Result<T, TlsError>) -> Option<FailureKind> {
    match r {
        Ok(_) => None,
        Err(e) => e.kind(),
    }
}

/// The client's view of a failure the server reports after a TLS 1.3 client has finished its
/// side of the handshake: either `connect` failed, or the first read does.
async fn client_failure(
    c: Result<fastdimse::tls::ClientStream<DuplexStream>, TlsError>,
) -> FailureKind {
    match c {
        Err(e) => e.kind().unwrap(),
        Ok(mut stream) => {
            let mut buf = [0u8; 1];
            let err = stream
                .read(&mut buf)
                .await
                .expect_err("the server refused us");
            fastdimse::tls::classify_io_error(&err).kind
        }
    }
}

#[tokio::test]
async fn tls13_handshake_with_server_identity() {
    let pki = pki();
    let both = handshake(
        &server_settings(&pki, &pki.server, VerifyPeer::None),
        &client_settings(&pki, Some("localhost")),
    )
    .await;
    let client = both.1.as_ref().unwrap();
    let conn = client.get_ref().1;
    assert_eq!(
        conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    // X25519 first (RFC 9325 4.2.1), not rustls' ring default P-384 (8x slower here).
    assert_eq!(
        conn.negotiated_key_exchange_group().unwrap().name(),
        rustls::NamedGroup::X25519
    );
    assert_eq!(
        peer_subject(conn).as_deref(),
        Some("C=DE,O=fastdimse tests,CN=server")
    );
    let id = peer_identity(conn).unwrap();
    assert_eq!(
        id.subject_attrs[0],
        ("CN".to_string(), "server".to_string())
    );
    assert!(id.sans.contains(&("DNS".into(), "localhost".into())));
    assert!(id.sans.contains(&("IP Address".into(), "127.0.0.1".into())));
    // The server asked for no client certificate.
    assert_eq!(peer_subject(both.0.as_ref().unwrap().get_ref().1), None);
    exchange(both).await;
}

#[tokio::test]
async fn tls12_handshake_when_the_client_allows_only_tls12() {
    let pki = pki();
    let mut client = client_settings(&pki, Some("localhost"));
    client.max_version = TlsVersion::Tls12;
    let both = handshake(
        &server_settings(&pki, &pki.server, VerifyPeer::None),
        &client,
    )
    .await;
    let conn = both.1.as_ref().unwrap().get_ref().1;
    assert_eq!(
        conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    let suite = conn.negotiated_cipher_suite().unwrap().suite();
    assert_eq!(
        suite,
        rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    );
    exchange(both).await;
}

#[tokio::test]
async fn ip_address_server_name_is_verified_against_ip_sans() {
    let pki = pki();
    let both = handshake(
        &server_settings(&pki, &pki.server, VerifyPeer::None),
        &client_settings(&pki, Some("127.0.0.1")),
    )
    .await;
    exchange(both).await;
}

#[tokio::test]
async fn mutual_tls_required_and_presented() {
    let pki = pki();
    for max in [TlsVersion::Tls13, TlsVersion::Tls12] {
        let mut client = with_client_cert(client_settings(&pki, Some("localhost")), &pki.client);
        client.max_version = max;
        let both = handshake(
            &server_settings(&pki, &pki.server, VerifyPeer::Require),
            &client,
        )
        .await;
        let server = both.0.as_ref().unwrap().get_ref().1;
        assert_eq!(
            peer_subject(server).as_deref(),
            Some("C=DE,O=fastdimse tests,CN=client")
        );
        exchange(both).await;
    }
}

#[tokio::test]
async fn mutual_tls_required_and_missing() {
    let pki = pki();
    for max in [TlsVersion::Tls13, TlsVersion::Tls12] {
        let mut client = client_settings(&pki, Some("localhost"));
        client.max_version = max;
        let (s, c) = handshake(
            &server_settings(&pki, &pki.server, VerifyPeer::Require),
            &client,
        )
        .await;
        let err = s.err().unwrap();
        assert_eq!(err.kind(), Some(FailureKind::NoClientCertificate), "{err}");
        assert!(err.to_string().contains("no client certificate"), "{err}");
        let ck = client_failure(c).await;
        assert!(ck == FailureKind::NoClientCertificate, "{max:?}: {ck:?}");
    }
}

#[tokio::test]
async fn mutual_tls_optional() {
    let pki = pki();
    let server = server_settings(&pki, &pki.server, VerifyPeer::Optional);
    let both = handshake(&server, &client_settings(&pki, Some("localhost"))).await;
    assert_eq!(peer_subject(both.0.as_ref().unwrap().get_ref().1), None);
    exchange(both).await;
    let client = with_client_cert(client_settings(&pki, Some("localhost")), &pki.client);
    let both = handshake(&server, &client).await;
    assert!(peer_subject(both.0.as_ref().unwrap().get_ref().1)
        .unwrap()
        .ends_with("CN=client"));
    exchange(both).await;
    // A certificate from an unknown CA is refused even though presenting one was optional.
    let client = with_client_cert(client_settings(&pki, Some("localhost")), &pki.stranger);
    let (s, _c) = handshake(&server, &client).await;
    assert_eq!(kind(&s), Some(FailureKind::UnknownCa));
}

#[tokio::test]
async fn unknown_ca() {
    let pki = pki();
    let (s, c) = handshake(
        &server_settings(&pki, &pki.stranger, VerifyPeer::None),
        &client_settings(&pki, Some("localhost")),
    )
    .await;
    let err = c.err().unwrap();
    assert_eq!(err.kind(), Some(FailureKind::UnknownCa), "{err}");
    assert!(
        err.to_string().contains("not signed by a trusted CA"),
        "{err}"
    );
    // The server hears about it through the client's alert.
    assert_eq!(kind(&s), Some(FailureKind::UnknownCa));
}

#[tokio::test]
async fn expired_certificate() {
    let pki = pki();
    let (_s, c) = handshake(
        &server_settings(&pki, &pki.expired, VerifyPeer::None),
        &client_settings(&pki, Some("localhost")),
    )
    .await;
    let err = c.err().unwrap();
    assert_eq!(err.kind(), Some(FailureKind::CertificateExpired), "{err}");
    // An expired client certificate is refused by the server.
    let client = with_client_cert(client_settings(&pki, Some("localhost")), &pki.expired);
    let (s, _c) = handshake(
        &server_settings(&pki, &pki.server, VerifyPeer::Require),
        &client,
    )
    .await;
    assert_eq!(kind(&s), Some(FailureKind::CertificateExpired));
}

#[tokio::test]
async fn hostname_mismatch_and_check_hostname_false() {
    let pki = pki();
    let server = server_settings(&pki, &pki.other_host, VerifyPeer::None);
    let (_s, c) = handshake(&server, &client_settings(&pki, Some("localhost"))).await;
    let err = c.err().unwrap();
    assert_eq!(err.kind(), Some(FailureKind::HostnameMismatch), "{err}");
    assert!(err.to_string().contains("localhost"), "{err}");
    let mut client = client_settings(&pki, Some("localhost"));
    client.check_hostname = false;
    exchange(handshake(&server, &client).await).await;
    // No name at all is fine without check_hostname.
    client.server_name = None;
    exchange(handshake(&server, &client).await).await;
    // check_hostname=False still verifies the chain.
    let (_s, c) = handshake(
        &server_settings(&pki, &pki.stranger, VerifyPeer::None),
        &client,
    )
    .await;
    assert_eq!(kind(&c), Some(FailureKind::UnknownCa));
}

#[tokio::test]
async fn common_name_fallback_only_without_dns_names() {
    let pki = pki();
    let cn_only = make_leaf(&pki.ca, "localhost", &[], false);
    let server = server_settings(&pki, &cn_only, VerifyPeer::None);
    let mut client = client_settings(&pki, Some("localhost"));
    let (_s, c) = handshake(&server, &client).await;
    assert_eq!(kind(&c), Some(FailureKind::HostnameMismatch));
    client.hostname_checks_common_name = true;
    exchange(handshake(&server, &client).await).await;
    // Not for another name, and never when the certificate has DNS names.
    client.server_name = Some("pacs.example".into());
    let (_s, c) = handshake(&server, &client).await;
    assert_eq!(kind(&c), Some(FailureKind::HostnameMismatch));
    let named = make_leaf(&pki.ca, "localhost", &["other.example"], false);
    client.server_name = Some("localhost".into());
    let (_s, c) = handshake(&server_settings(&pki, &named, VerifyPeer::None), &client).await;
    assert_eq!(kind(&c), Some(FailureKind::HostnameMismatch));
}

#[tokio::test]
async fn cert_none_accepts_any_server() {
    let pki = pki();
    let client = TlsSettings {
        verify_peer: VerifyPeer::None,
        check_hostname: false,
        ..TlsSettings::default()
    };
    for leaf in [&pki.stranger, &pki.expired, &pki.other_host] {
        exchange(handshake(&server_settings(&pki, leaf, VerifyPeer::None), &client).await).await;
    }
}

#[tokio::test]
async fn tls12_only_client_and_tls13_only_server_share_no_version() {
    let pki = pki();
    let mut server = server_settings(&pki, &pki.server, VerifyPeer::None);
    server.min_version = TlsVersion::Tls13;
    let mut client = client_settings(&pki, Some("localhost"));
    client.max_version = TlsVersion::Tls12;
    let (s, c) = handshake(&server, &client).await;
    assert_eq!(kind(&s), Some(FailureKind::ProtocolVersion));
    assert_eq!(kind(&c), Some(FailureKind::ProtocolVersion));
}

#[tokio::test]
async fn plain_dicom_on_a_tls_port_is_named() {
    let pki = pki();
    let sc = server_config(&server_settings(&pki, &pki.server, VerifyPeer::None)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let (a, mut b) = duplex(4096);
    // The start of an A-ASSOCIATE-RQ: type 1, reserved, length, protocol version 1.
    b.write_all(b"\x01\x00\x00\x00\x00\xcd\x00\x01\x00\x00")
        .await
        .unwrap();
    let err = accept(a, sc.clone(), deadline).await.err().unwrap();
    assert_eq!(err.kind(), Some(FailureKind::PlainDicom));
    assert!(
        err.to_string().contains("plain DICOM A-ASSOCIATE-RQ"),
        "{err}"
    );
    let (a, mut b) = duplex(4096);
    b.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let err = accept(a, sc.clone(), deadline).await.err().unwrap();
    assert_eq!(err.kind(), Some(FailureKind::NotTls));
    assert!(err.to_string().contains("47 45"), "{err}");
    let (a, b) = duplex(4096);
    drop(b);
    let err = accept(a, sc, deadline).await.err().unwrap();
    assert_eq!(err.kind(), Some(FailureKind::ClosedByPeer));
}

#[tokio::test]
async fn plain_dicom_answer_to_a_client_hello_is_named() {
    let pki = pki();
    let cc = client_config(&client_settings(&pki, Some("localhost"))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let (a, mut b) = duplex(64 * 1024);
    let peer = tokio::spawn(async move {
        let mut buf = [0u8; 5];
        b.read_exact(&mut buf).await.unwrap();
        assert!(looks_like_tls(&buf));
        // A plain DICOM server answers with an A-ABORT.
        b.write_all(b"\x07\x00\x00\x00\x00\x04\x00\x00\x02\x00")
            .await
            .unwrap();
        b
    });
    let err = connect(a, cc, Some("localhost"), deadline)
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), Some(FailureKind::NotTls), "{err}");
    assert!(
        err.to_string().contains("plain, non-TLS DICOM port"),
        "{err}"
    );
    drop(peer.await.unwrap());
}

#[tokio::test]
async fn sessions_resume_with_a_shared_client_config() {
    let pki = pki();
    for max in [TlsVersion::Tls13, TlsVersion::Tls12] {
        let mut server = server_settings(&pki, &pki.server, VerifyPeer::Require);
        server.max_version = max;
        let sc = server_config(&server).unwrap();
        let client = with_client_cert(client_settings(&pki, Some("localhost")), &pki.client);
        let cc = client_config(&client).unwrap();
        for round in 0..3 {
            let (a, b) = duplex(64 * 1024);
            let deadline = Instant::now() + Duration::from_secs(10);
            let (s, c) = tokio::join!(
                accept(a, sc.clone(), deadline),
                connect(b, cc.clone(), Some("localhost"), deadline)
            );
            let (s, c) = (s.unwrap(), c.unwrap());
            let kind = c.get_ref().1.handshake_kind().unwrap();
            let expected = if round == 0 {
                rustls::HandshakeKind::Full
            } else {
                rustls::HandshakeKind::Resumed
            };
            assert_eq!(kind, expected, "{max:?} round {round}");
            // The client certificate's subject survives resumption.
            assert!(peer_subject(s.get_ref().1).unwrap().ends_with("CN=client"));
            // The exchange makes the client read the TLS 1.3 tickets.
            exchange((Ok(s), Ok(c))).await;
        }
    }
}

#[tokio::test]
async fn client_hello_in_one_byte_pieces() {
    let pki = pki();
    let sc = server_config(&server_settings(&pki, &pki.server, VerifyPeer::None)).unwrap();
    let cc = client_config(&client_settings(&pki, Some("localhost"))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    // client <-> (c, r1) ... relay trickles client->server bytes one at a time ... (r2, s)
    let (c, r1) = duplex(64 * 1024);
    let (r2, s) = duplex(64 * 1024);
    let (mut r1_read, mut r1_write) = tokio::io::split(r1);
    let (mut r2_read, mut r2_write) = tokio::io::split(r2);
    let up = tokio::spawn(async move {
        let mut byte = [0u8; 1];
        while r1_read.read_exact(&mut byte).await.is_ok() {
            if r2_write.write_all(&byte).await.is_err() {
                break;
            }
            r2_write.flush().await.unwrap();
            tokio::task::yield_now().await;
        }
    });
    let down = tokio::spawn(async move { tokio::io::copy(&mut r2_read, &mut r1_write).await });
    let (s, c) = tokio::join!(
        accept(s, sc, deadline),
        connect(c, cc, Some("localhost"), deadline)
    );
    exchange((s, c)).await;
    up.abort();
    down.abort();
}

#[tokio::test]
async fn stalled_handshake_hits_the_deadline() {
    let pki = pki();
    let sc = server_config(&server_settings(&pki, &pki.server, VerifyPeer::None)).unwrap();
    let cc = client_config(&client_settings(&pki, Some("localhost"))).unwrap();
    let deadline = Instant::now() + Duration::from_millis(200);
    // Server side: the peer sends half a record header, then nothing.
    let (a, mut b) = duplex(4096);
    b.write_all(b"\x16\x03").await.unwrap();
    let err = accept(a, sc.clone(), deadline).await.err().unwrap();
    assert_eq!(err.kind(), Some(FailureKind::Timeout));
    // ... or a complete header whose record never comes.
    let (a, mut b2) = duplex(4096);
    b2.write_all(b"\x16\x03\x01\x02\x00").await.unwrap();
    let deadline = Instant::now() + Duration::from_millis(200);
    let err = accept(a, sc, deadline).await.err().unwrap();
    assert_eq!(err.kind(), Some(FailureKind::Timeout));
    // Client side: the server never answers.
    let (a, _b3) = duplex(4096);
    let deadline = Instant::now() + Duration::from_millis(200);
    let err = connect(a, cc, Some("localhost"), deadline)
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), Some(FailureKind::Timeout));
    assert!(err.to_string().contains("deadline"));
    drop((b, b2));
}

/// A CRL from `ca` revoking `serial`, as PEM.
fn make_crl(ca: &Ca, serial: u64) -> String {
    let params = rcgen::CertificateRevocationListParams {
        this_update: rcgen::date_time_ymd(2024, 1, 1),
        next_update: rcgen::date_time_ymd(2099, 1, 1),
        crl_number: rcgen::SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![rcgen::RevokedCertParams {
            serial_number: rcgen::SerialNumber::from(serial),
            revocation_time: rcgen::date_time_ymd(2024, 1, 2),
            reason_code: Some(rcgen::RevocationReason::KeyCompromise),
            invalidity_date: None,
        }],
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    };
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    params.signed_by(&issuer).unwrap().pem().unwrap()
}

#[tokio::test]
async fn crl_checking() {
    let pki = pki();
    let revoked = make_leaf_serial(&pki.ca, "revoked", &["localhost"], false, Some(4242));
    let good = make_leaf_serial(&pki.ca, "good", &["localhost"], false, Some(4243));
    let crl = make_crl(&pki.ca, 4242);
    let mut server = server_settings(&pki, &pki.server, VerifyPeer::Require);
    server.ca = vec![CaSource::Pem {
        data: format!("{}{crl}", pki.ca.pem).into_bytes(),
        origin: None,
    }];
    server.crl_check = CrlCheck::Leaf;
    let client = |leaf| with_client_cert(client_settings(&pki, Some("localhost")), leaf);
    let (s, _c) = handshake(&server, &client(&revoked)).await;
    let err = s.err().unwrap();
    assert_eq!(err.kind(), Some(FailureKind::BadCertificate), "{err}");
    assert!(err.to_string().contains("revoked"), "{err}");
    exchange(handshake(&server, &client(&good)).await).await;
    // Without CRL checking the revoked certificate passes, as with OpenSSL's defaults.
    server.crl_check = CrlCheck::None;
    exchange(handshake(&server, &client(&revoked)).await).await;
    // Checking with no CRL at all would fail every peer (OpenSSL's "unable to get
    // certificate CRL"): refused when the configuration is built.
    let mut no_crl = server_settings(&pki, &pki.server, VerifyPeer::Require);
    no_crl.crl_check = CrlCheck::Chain;
    let err = server_config(&no_crl).err().unwrap().to_string();
    assert!(err.contains("no CRL is loaded"), "{err}");
    // A CRL from another CA leaves the peer's status unknown: refused.
    let other = make_ca("another CA");
    no_crl.ca = vec![CaSource::Pem {
        data: format!("{}{}", pki.ca.pem, make_crl(&other, 1)).into_bytes(),
        origin: None,
    }];
    let (s, _c) = handshake(&no_crl, &client(&good)).await;
    let err = s.err().unwrap();
    assert!(err.to_string().contains("no CRL from the peer"), "{err}");
    // The client side checks the server the same way.
    let mut checking_client = client_settings(&pki, Some("localhost"));
    checking_client.ca = server.ca.clone();
    checking_client.crl_check = CrlCheck::Leaf;
    let (_s, c) = handshake(
        &server_settings(&pki, &revoked, VerifyPeer::None),
        &checking_client,
    )
    .await;
    assert!(c.err().unwrap().to_string().contains("revoked"));
}

#[tokio::test]
async fn key_log_file_gets_nss_lines() {
    let pki = pki();
    let path = std::env::temp_dir().join(format!("fastdimse-keylog-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut client = client_settings(&pki, Some("localhost"));
    client.key_log = Some(path.clone());
    exchange(
        handshake(
            &server_settings(&pki, &pki.server, VerifyPeer::None),
            &client,
        )
        .await,
    )
    .await;
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(text.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET "), "{text}");
    assert!(text.lines().all(|l| l.split(' ').count() == 3));
    client.key_log = Some("/nonexistent/dir/keys.txt".into());
    let err = client_config(&client).err().unwrap().to_string();
    assert!(err.contains("/nonexistent/dir/keys.txt"), "{err}");
}

#[test]
fn first_bytes_tests() {
    assert!(looks_like_tls(b"\x16\x03\x01\x02\x00"));
    assert!(looks_like_tls(b"\x15\x03\x03"));
    assert!(!looks_like_tls(b"\x01\x00\x00"));
    assert!(looks_like_dicom(b"\x01\x00\x00\x00\x00\xcd"));
    assert!(!looks_like_dicom(b"\x16\x03"));
    assert!(!looks_like_dicom(b"\x01"));
    assert_eq!(
        describe_first_bytes(b"\x01\x00"),
        "a plain DICOM A-ASSOCIATE-RQ PDU"
    );
    assert_eq!(describe_first_bytes(b"\x16\x03"), "a TLS handshake record");
}

#[test]
fn configuration_errors_name_the_value() {
    let pki = pki();
    let missing = TlsSettings {
        cert_chain: Some(PemSource::Path("/nonexistent/server.pem".into())),
        verify_peer: VerifyPeer::None,
        ..TlsSettings::default()
    };
    let err = server_config(&missing).err().unwrap().to_string();
    assert!(err.contains("/nonexistent/server.pem"), "{err}");

    let no_cert = TlsSettings {
        verify_peer: VerifyPeer::None,
        ..TlsSettings::default()
    };
    assert!(server_config(&no_cert)
        .err()
        .unwrap()
        .to_string()
        .contains("load_cert_chain"));

    let encrypted =
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let mut s = server_settings(&pki, &pki.server, VerifyPeer::None);
    s.private_key = Some(PemSource::Bytes {
        data: encrypted.as_bytes().to_vec(),
        origin: Some("'/keys/server.key'".into()),
    });
    let err = server_config(&s).err().unwrap().to_string();
    assert!(
        err.contains("encrypted") && err.contains("/keys/server.key"),
        "{err}"
    );

    // A key that belongs to another certificate.
    let mut s = server_settings(&pki, &pki.server, VerifyPeer::None);
    s.private_key = Some(bytes(&pki.client.1));
    let err = server_config(&s).err().unwrap().to_string();
    assert!(err.contains("cannot be used with the certificate"), "{err}");

    // The key in the certificate file, as load_cert_chain(certfile) without keyfile allows.
    let mut s = server_settings(&pki, &pki.server, VerifyPeer::None);
    s.cert_chain = Some(bytes(&format!("{}{}", pki.server.0, pki.server.1)));
    s.private_key = None;
    server_config(&s).unwrap();

    let mut s = server_settings(&pki, &pki.server, VerifyPeer::Require);
    s.ca.clear();
    assert!(server_config(&s)
        .err()
        .unwrap()
        .to_string()
        .contains("no CA certificate"));

    let c = client_settings(&pki, None);
    let err = client_config(&c).err().unwrap().to_string();
    assert!(
        err.contains("check_hostname requires server_hostname"),
        "{err}"
    );

    let mut c = client_settings(&pki, Some("localhost"));
    c.ca = vec![CaSource::File("/nonexistent/ca.pem".into())];
    let err = client_config(&c).err().unwrap().to_string();
    assert!(err.contains("/nonexistent/ca.pem"), "{err}");

    let mut c = client_settings(&pki, Some("localhost"));
    c.cipher_suites = Some(vec!["TLS_RSA_WITH_AES_128_CBC_SHA".into()]);
    let err = client_config(&c).err().unwrap().to_string();
    assert!(err.contains("TLS_RSA_WITH_AES_128_CBC_SHA"), "{err}");

    // TLS 1.2 allowed but only TLS 1.3 suites left.
    let mut c = client_settings(&pki, Some("localhost"));
    c.cipher_suites = Some(vec!["TLS_AES_128_GCM_SHA256".into()]);
    assert!(client_config(&c).is_err());
    c.min_version = TlsVersion::Tls13;
    client_config(&c).unwrap();

    let mut c = client_settings(&pki, Some("not a host name!"));
    c.check_hostname = true;
    assert!(client_config(&c)
        .err()
        .unwrap()
        .to_string()
        .contains("not a host name!"));
}

#[test]
fn ca_directory_and_system_store() {
    let pki = pki();
    let dir = std::env::temp_dir().join(format!("fastdimse-tls-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.pem"), &pki.ca.pem).unwrap();
    std::fs::write(dir.join("README"), "not a certificate").unwrap();
    let mut c = client_settings(&pki, Some("localhost"));
    c.ca = vec![CaSource::Dir(dir.clone())];
    client_config(&c).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    // The system store may be empty on a bare machine: then the error says what to load.
    c.ca = vec![CaSource::System];
    if let Err(e) = client_config(&c) {
        assert!(e.to_string().contains("load_verify_locations"), "{e}");
    }
}
