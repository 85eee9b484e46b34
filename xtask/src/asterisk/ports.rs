//! The loopback ports an instance listens on: HTTP (free, or `ARI_SANDBOX_PORT`) and the two SIP
//! transports.

use std::net::TcpListener;

use anyhow::{bail, Context, Result};

use super::config;

/// Fixed HTTP port override.
const PORT_ENV: &str = "ARI_SANDBOX_PORT";

/// The port of `http://127.0.0.1:PORT/ari`.
pub(super) fn port_of(url: &str) -> Option<u16> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    authority.rsplit_once(':')?.1.parse().ok()
}

/// `ARI_SANDBOX_PORT` when set (and free), else a free loopback port.
pub(super) fn choose_port() -> Result<u16> {
    if let Some(value) = std::env::var_os(PORT_ENV).filter(|v| !v.is_empty()) {
        let port: u16 = value
            .to_string_lossy()
            .parse()
            .with_context(|| format!("{PORT_ENV}={value:?} is not a port number"))?;
        return match TcpListener::bind(("127.0.0.1", port)) {
            Ok(_) => Ok(port),
            Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => bail!(
                "port {port} on 127.0.0.1 ({PORT_ENV}) is busy: another program listens there. \
                 Free it, choose another port, or unset {PORT_ENV} to use a free one"
            ),
            Err(err) => Err(err).with_context(|| format!("checking port {port} on 127.0.0.1")),
        };
    }
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).context("finding a free port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}

/// Two distinct free UDP ports on 127.0.0.1 for the SIP transports.
pub(super) fn choose_sip_ports() -> Result<config::SipPorts> {
    let a = std::net::UdpSocket::bind(("127.0.0.1", 0)).context("finding a free UDP port")?;
    let b = std::net::UdpSocket::bind(("127.0.0.1", 0)).context("finding a free UDP port")?;
    Ok(config::SipPorts {
        a: a.local_addr()?.port(),
        b: b.local_addr()?.port(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_of_urls() {
        assert_eq!(port_of("http://127.0.0.1:41234/ari"), Some(41234));
        assert_eq!(port_of("http://127.0.0.1/ari"), None);
        assert_eq!(port_of("nonsense"), None);
    }
}
