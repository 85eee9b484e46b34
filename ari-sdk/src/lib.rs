//! `ari-sdk`: a typed client for the Asterisk REST Interface (ARI).
#![warn(missing_docs)]

pub mod events;
