//! A throwaway CA and a server certificate it signs, for TLS servers on loopback (shared by ari-sdk's tests
//! and the live tests, which include this file by path).

use std::sync::Arc;

use tokio_rustls::rustls;

/// A rustls server configuration whose certificate names `names` (DNS names or IP addresses; the first is also
/// its common name) and is signed by a new CA; returns it with the CA's PEM.
pub fn server_signed_by_a_new_ca(names: &[&str]) -> (Arc<rustls::ServerConfig>, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ari-sdk throwaway test CA");
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let mut server_params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("server params");
    // Some clients (Asterisk's tcptls.c) check the common name rather than the subject alternative names.
    if let Some(first) = names.first() {
        server_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, *first);
    }
    let server_key = rcgen::KeyPair::generate().expect("server key");
    let server = server_params
        .signed_by(&server_key, &ca, &ca_key)
        .expect("server certificate");
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(server_key.serialize_der());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![server.der().clone()], key.into())
        .expect("server config");
    (Arc::new(config), ca.pem())
}
