//! The REST API under `/api/v1`: thin handlers that extract, call one
//! [`service`] function and map the result. Documented by the OpenAPI
//! document served at `/api/v1/openapi.json`.

use app::model::ErrorCode;

mod accounts;
mod bots;
mod catalog;
mod channels;
mod contacts;
mod desk;
mod flows;
mod handoffs;
mod orders;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use utoipa::OpenApi;

use crate::http::error::ApiError;
use crate::state::AppState;

use accounts::*;
use bots::*;

/// The `/api/v1` routes.
pub fn routes() -> Router<AppState> {
    // Flow documents and catalog files may be larger than other bodies.
    let big = DefaultBodyLimit::max(app::flow::doc::MAX_DOC_BYTES + 64 * 1024);
    let huge = DefaultBodyLimit::max(4 * 1024 * 1024);
    Router::new()
        .route("/signup", post(signup))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/workspaces", get(list_workspaces).post(create_workspace))
        .route("/workspaces/{id}/switch", post(switch_workspace))
        .route("/members", get(list_members).post(add_member))
        .route(
            "/members/{id}",
            patch(set_member_role).delete(remove_member),
        )
        .route("/invitations", get(list_invitations).post(invite))
        // One parameter name per position (the router's rule): the id of
        // `DELETE` and the secret of `accept` share `{id}`.
        .route("/invitations/{id}", delete(revoke_invitation))
        .route("/invitations/{id}/accept", post(accept_invitation))
        .route("/invitations/{id}/decline", post(decline_invitation))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
        .route("/templates", get(flows::templates))
        .route("/flow.schema.json", get(flows::flow_schema))
        .route("/bots", get(list_bots).post(create_bot))
        .route(
            "/bots/{id}",
            get(get_bot).patch(rename_bot).delete(delete_bot),
        )
        .route(
            "/bots/{id}/draft",
            get(flows::get_draft).put(flows::put_draft).layer(big),
        )
        .route("/bots/{id}/validate", post(flows::validate))
        .route("/bots/{id}/publish", post(flows::publish))
        .route("/bots/{id}/versions", get(flows::versions))
        .route("/bots/{id}/versions/{n}", get(flows::version))
        .route("/bots/{id}/versions/{n}/restore", post(flows::restore))
        .route("/bots/{id}/simulate", post(flows::simulate))
        .route("/products", get(catalog::list).post(catalog::create))
        .route("/products/import", post(catalog::import).layer(huge))
        .route(
            "/products/{id}",
            get(catalog::get)
                .patch(catalog::update)
                .delete(catalog::delete),
        )
        .route("/orders", get(orders::list))
        .route("/orders/{id}", get(orders::get))
        .route("/orders/{id}/status", post(orders::set_status))
        .route("/channels", get(channels::list).post(channels::connect))
        .route(
            "/channels/{id}",
            patch(channels::update).delete(channels::disconnect),
        )
        .route("/openapi.json", get(openapi))
        .merge(contacts::routes())
        .merge(desk::routes())
        .merge(handoffs::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "There is no API route at this address. See /api/v1/openapi.json.",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "This API route does not accept that HTTP method.",
    )
}

/// The OpenAPI description of this API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Botme REST API", version = "1", description = "Bots, accounts and tokens of a Botme workspace. Authenticate with `Authorization: Bearer <token>` or a browser session. Errors are `{\"error\": {\"code\", \"message\"}}`; another workspace's objects answer 404."),
    paths(
        accounts::signup, accounts::login, accounts::logout, accounts::me,
        accounts::list_workspaces, accounts::create_workspace, accounts::switch_workspace,
        accounts::list_members, accounts::add_member, accounts::set_member_role, accounts::remove_member,
        accounts::invite, accounts::list_invitations, accounts::revoke_invitation,
        accounts::accept_invitation, accounts::decline_invitation,
        accounts::list_tokens, accounts::create_token, accounts::revoke_token,
        bots::list_bots, bots::create_bot, bots::get_bot, bots::rename_bot, bots::delete_bot,
        flows::templates, flows::flow_schema, flows::get_draft, flows::put_draft, flows::validate,
        flows::publish, flows::versions, flows::version, flows::restore, flows::simulate,
        catalog::list, catalog::create, catalog::get, catalog::update, catalog::delete, catalog::import,
        orders::list, orders::get, orders::set_status,
        channels::list, channels::connect, channels::update, channels::disconnect,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole document: [`ApiDoc`] and each area's own.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(contacts::Doc::openapi());
    doc.merge(desk::Doc::openapi());
    doc.merge(handoffs::Doc::openapi());
    doc
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
