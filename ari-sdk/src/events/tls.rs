//! TLS for `wss://`: the rustls configuration made from the client's TLS settings, so the event socket trusts
//! exactly what the REST client trusts.
//!
//! Always rustls with the ring provider named explicitly (never the process default, which panics when more than
//! one provider is compiled in), whichever TLS backend the REST client uses.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::client::TlsSettings;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn webpki_roots() -> rustls::RootCertStore {
    rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned())
}

/// TLS trusting the webpki roots.
pub(crate) fn default_config() -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(webpki_roots())
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The configuration for `settings`: `None` when they are the defaults (then [`default_config`] applies), an
/// error message when a certificate does not parse.
pub(crate) fn config_for(
    settings: &TlsSettings,
) -> Result<Option<Arc<rustls::ClientConfig>>, String> {
    if *settings == TlsSettings::default() {
        return Ok(None);
    }
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot configure TLS: {e}"))?;
    let config = if settings.accept_invalid_certs {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = webpki_roots();
        for pem in &settings.root_certificates_pem {
            let mut found = 0;
            for certificate in CertificateDer::pem_slice_iter(pem) {
                let certificate =
                    certificate.map_err(|e| format!("a root certificate does not parse: {e}"))?;
                roots
                    .add(certificate)
                    .map_err(|e| format!("a root certificate is not usable: {e}"))?;
                found += 1;
            }
            if found == 0 {
                return Err("a root certificate PEM holds no certificate".to_owned());
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(Some(Arc::new(config)))
}

/// `danger_accept_invalid_certs`: any certificate is accepted, but the handshake signatures are still checked
/// (the peer must hold the key of the certificate it shows).
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_config_and_bad_pem_is_an_error() {
        assert!(config_for(&TlsSettings::default()).unwrap().is_none());
        let bad = TlsSettings {
            root_certificates_pem: vec![b"not a pem".to_vec()],
            accept_invalid_certs: false,
        };
        assert_eq!(
            config_for(&bad).unwrap_err(),
            "a root certificate PEM holds no certificate"
        );
        let any = TlsSettings {
            root_certificates_pem: Vec::new(),
            accept_invalid_certs: true,
        };
        assert!(config_for(&any).unwrap().is_some());
        assert!(default_config().is_ok());
    }
}
