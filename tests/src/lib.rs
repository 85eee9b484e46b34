//! Shared helpers for the live suite: connection settings and unique names.
