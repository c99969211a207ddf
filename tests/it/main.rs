//! End-to-end tests against the real `bavard` binary on loopback. One test binary on purpose:
//! each extra one is another link, our slowest build step.

mod access;
mod accounts;
mod admin;
mod api;
mod browser;
mod cli;
mod cluster;
mod encryption;
mod hosting;
mod launcher;
mod mentions;
mod messaging;
mod operators;
mod pages;
mod people;
mod presence;
mod push;
mod reactions;
mod reliability;
mod replies;
mod search;
mod security;
mod support;
mod uploads;
mod webhooks;
