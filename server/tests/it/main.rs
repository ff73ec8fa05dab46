//! The server's integration tests, linked into one binary: one link of the
//! server crate and its dependencies instead of one per file, and one place
//! for the helpers in [`common`]. Each module is one area; run one with
//! `cargo test -p server --test it channels_flow::`. Tests that run on both
//! databases are declared with [`common::on_both_dbs!`] and are named
//! `area::sqlite::case` and `area::postgres::case`.

#![expect(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

mod common;

mod binary;
mod channels_api;
mod channels_faults;
mod channels_flow;
mod contacts;
mod crash;
mod http_accounts;
mod http_catalog;
mod http_dashboard;
mod http_editor;
mod http_flows;
mod http_invitations;
mod http_pages;
mod http_tenancy;
mod inbox_flow;
mod ingest;
mod instances;
mod runner_orders;
mod store_contract;
mod webchat;
