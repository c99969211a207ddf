//! Bavard: a self-hosted instant-messaging web app for small hosts.
//! The binary (`src/main.rs`) is a thin command line over this library, so tests build the very
//! same application.

pub mod app;
pub mod assets;
pub mod auth;
pub mod compression;
pub mod config;
pub mod db;
pub mod error;
pub mod forms;
pub mod handlers;
pub mod i18n;
pub mod keys;
pub mod maintenance;
pub mod media;
pub mod model;
pub mod monitor;
pub mod paths;
pub mod push;
pub mod realtime;
pub mod recent;
pub mod state;
pub mod views;
