//! Handlers for the pages' HTML forms. They work without JavaScript: each
//! calls the same [`service`] function as the REST API, leaves a flash
//! message in the session and redirects (303) to the page to show next.
//! Another workspace's object answers 404, as everywhere.

use std::collections::HashMap;

use app::model::{AppError, Flash, Principal, Role};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{Extensions, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, post};
use tower_sessions::Session;

use crate::AppState;
use crate::auth::{client_ip, set_flash};
use crate::error::{ApiError, ApiResult};
use crate::extract::{PathId, PathIds};
use crate::service::{self, LoginRequest, SignupRequest};

/// The form routes.
pub fn routes() -> Router<AppState> {
    route_table()
        .into_iter()
        .fold(Router::new(), |router, (path, method)| {
            router.route(path, method)
        })
}

/// The path templates of every form route, so tests can check that each is
/// covered (tenant isolation).
pub fn paths() -> Vec<&'static str> {
    route_table().into_iter().map(|(path, _)| path).collect()
}

fn route_table() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/signup", post(signup)),
        ("/login", post(login)),
        ("/logout", post(logout)),
        ("/bots", post(create_bot)),
        ("/bots/{id}/rename", post(rename_bot)),
        ("/bots/{id}/delete", post(delete_bot)),
        ("/bots/{id}/publish", post(publish_bot)),
        ("/bots/{id}/versions/{n}/restore", post(restore_version)),
        ("/products", post(create_product)),
        (
            "/products/import",
            post(import_products).layer(axum::extract::DefaultBodyLimit::max(4 * 1024 * 1024)),
        ),
        ("/products/{id}", post(update_product)),
        ("/products/{id}/delete", post(delete_product)),
        ("/orders/{id}/status", post(set_order_status)),
        ("/channels", post(connect_channel)),
        ("/channels/{id}/delete", post(disconnect_channel)),
        ("/channels/{id}/token", post(replace_channel_token)),
        ("/settings/tokens", post(create_token)),
        ("/settings/tokens/{id}/revoke", post(revoke_token)),
        ("/settings/members", post(add_member)),
        ("/settings/members/{id}/role", post(set_member_role)),
        ("/settings/members/{id}/remove", post(remove_member)),
        ("/workspaces", post(create_workspace)),
        ("/workspaces/switch", post(switch_workspace)),
    ]
}

/// The fields of a url-encoded form. A body that does not parse reads as no
/// fields, which each handler reports as a missing value.
pub struct Fields(HashMap<String, String>);

impl Fields {
    fn get(&self, name: &str) -> String {
        self.0.get(name).cloned().unwrap_or_default()
    }

    fn role(&self, name: &str) -> Result<Role, AppError> {
        Role::parse(&self.get(name))
            .ok_or_else(|| AppError::new("invalid_role", "Choose owner, editor or viewer."))
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| crate::extract::too_large())?;
        Ok(Fields(
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default(),
        ))
    }
}

/// Where a form post goes next.
enum Outcome {
    /// Redirect with a confirmation.
    Done(String, Flash),
    /// Redirect back with the error.
    Failed(String, ApiError, Option<String>),
}

async fn finish(session: &Session, outcome: Outcome) -> Response {
    let (to, flash) = match outcome {
        Outcome::Done(to, flash) => (to, flash),
        Outcome::Failed(_, err, _) if err.status == StatusCode::NOT_FOUND => {
            return not_found_page(&err.error.message);
        }
        Outcome::Failed(to, err, email) => {
            let details = details_of(&err);
            (
                to,
                Flash {
                    error: Some(err.error.message),
                    email,
                    details,
                    ..Flash::default()
                },
            )
        }
    };
    if let Err(e) = set_flash(session, flash).await {
        return e.into_response();
    }
    Redirect::to(&to).into_response()
}

fn not_found_page(message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found · Botme</title></head>\
         <body><main><h1>Not found</h1><p>{}</p><p><a href=\"/dashboard\">Back to your bots</a></p></main></body></html>",
        html_escape(message)
    );
    (StatusCode::NOT_FOUND, Html(body)).into_response()
}

/// Itemised problems carried by an error: CSV rows or flow problems.
fn details_of(err: &ApiError) -> Vec<String> {
    let mut out = Vec::new();
    for (key, value) in &err.extra {
        match *key {
            "rows" => {
                for row in value.as_array().into_iter().flatten() {
                    let errors: Vec<&str> = row["errors"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|e| e.as_str())
                        .collect();
                    out.push(format!("Row {}: {}", row["row"], errors.join(" ")));
                }
            }
            "problems" => {
                for p in value.as_array().into_iter().flatten() {
                    if p["severity"] == "error" {
                        out.push(p["message"].as_str().unwrap_or_default().to_string());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn notice(text: String) -> Flash {
    Flash {
        notice: Some(text),
        ..Flash::default()
    }
}

/// The signed-in principal of a browser session.
fn signed_in(ext: &Extensions) -> Option<Principal> {
    ext.get::<Principal>()
        .filter(|p| p.user_id.is_some())
        .cloned()
}

fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

/// A `next` value that stays on this site: a bare local path, else the
/// dashboard. Browsers drop tabs and newlines from URLs and read `\` as
/// `/`, so `/\t/evil.example` would leave the site; any whitespace, control
/// character or backslash is refused, as is a second leading slash.
fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    if local { next } else { "/dashboard" }
}

fn result<T>(r: ApiResult<T>, back: &str, ok: impl FnOnce(T) -> Outcome) -> Outcome {
    match r {
        Ok(v) => ok(v),
        Err(e) => Outcome::Failed(back.to_string(), e, None),
    }
}

async fn signup(State(state): State<AppState>, session: Session, f: Fields) -> Response {
    let email = f.get("email");
    let req = SignupRequest {
        email: email.clone(),
        password: f.get("password"),
        workspace: f.get("workspace"),
    };
    let outcome = match service::signup(&state, req).await {
        Ok(created) => match state
            .store
            .user(crate::store::UserId(created.user_id))
            .await
        {
            Ok(Some(user)) => match service::start_session(&state, &session, &user).await {
                Ok(_) => Outcome::Done(
                    "/dashboard".into(),
                    notice(
                        "Welcome to Botme! Your workspace is ready. Create your first bot below."
                            .into(),
                    ),
                ),
                Err(e) => Outcome::Failed("/login".into(), e, Some(email)),
            },
            Ok(None) => return ApiError::internal(&"new user vanished").into_response(),
            Err(e) => return ApiError::from(e).into_response(),
        },
        Err(e) => Outcome::Failed("/signup".into(), e, Some(email)),
    };
    finish(&session, outcome).await
}

async fn login(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let email = f.get("email");
    let next = f.get("next");
    let req = LoginRequest {
        email: email.clone(),
        password: f.get("password"),
    };
    let outcome = match service::check_login(&state, req, client_ip(&ext)).await {
        Ok(user) => match service::start_session(&state, &session, &user).await {
            Ok(_) => return Redirect::to(safe_next(&next)).into_response(),
            Err(e) => Outcome::Failed("/login".into(), e, Some(email)),
        },
        Err(e) => {
            let back = if next.is_empty() {
                "/login".to_string()
            } else {
                format!(
                    "/login?{}",
                    serde_urlencoded::to_string([("next", safe_next(&next))]).unwrap_or_default()
                )
            };
            Outcome::Failed(back, e, Some(email))
        }
    };
    finish(&session, outcome).await
}

async fn logout(session: Session) -> Response {
    if let Err(e) = service::logout(&session).await {
        return e.into_response();
    }
    finish(
        &session,
        Outcome::Done("/login".into(), notice("You are logged out.".into())),
    )
    .await
}

async fn create_bot(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let template = f.get("template");
    let req = service::CreateBotRequest {
        name: f.get("name"),
        template: (!template.is_empty()).then_some(template),
    };
    let r = service::create_bot(&state, &p, req).await;
    let outcome = result(r, "/dashboard", |b| {
        Outcome::Done(
            format!("/bots/{}/edit", b.id),
            notice(format!(
                "Bot “{}” created. Add and connect steps here, try them under “Try it”, then publish.",
                b.name
            )),
        )
    });
    finish(&session, outcome).await
}

async fn rename_bot(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let req = service::RenameBotRequest {
        name: f.get("name"),
    };
    let r = service::rename_bot(&state, &p, id, req).await;
    let outcome = result(r, "/dashboard", |b| {
        Outcome::Done(
            "/dashboard".into(),
            notice(format!("Bot renamed to “{}”.", b.name)),
        )
    });
    finish(&session, outcome).await
}

async fn delete_bot(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = service::delete_bot(&state, &p, id).await;
    let outcome = result(r, "/dashboard", |()| {
        Outcome::Done("/dashboard".into(), notice("Bot deleted.".into()))
    });
    finish(&session, outcome).await
}

async fn create_token(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = match f.role("role") {
        Ok(role) => {
            let req = service::CreateTokenRequest {
                name: f.get("name"),
                role: Some(role),
            };
            service::create_token(&state, &p, req).await
        }
        Err(e) => Err(e.into()),
    };
    let outcome = result(r, "/settings", |t| {
        Outcome::Done(
            "/settings".into(),
            Flash {
                notice: Some(format!("API token “{}” created.", t.summary.name)),
                new_token: Some(t.token),
                ..Flash::default()
            },
        )
    });
    finish(&session, outcome).await
}

async fn revoke_token(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = service::revoke_token(&state, &p, id).await;
    let outcome = result(r, "/settings", |()| {
        Outcome::Done(
            "/settings".into(),
            notice("API token revoked. Programs using it are locked out.".into()),
        )
    });
    finish(&session, outcome).await
}

async fn add_member(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = match f.role("role") {
        Ok(role) => {
            let req = service::AddMemberRequest {
                email: f.get("email"),
                role,
            };
            service::add_member(&state, &p, req).await
        }
        Err(e) => Err(e.into()),
    };
    let outcome = result(r, "/settings", |m| {
        Outcome::Done(
            "/settings".into(),
            notice(format!(
                "{} can now work here as {}.",
                m.email,
                m.role.label().to_lowercase()
            )),
        )
    });
    finish(&session, outcome).await
}

async fn set_member_role(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = match f.role("role") {
        Ok(role) => service::set_member_role(&state, &p, id, role).await,
        Err(e) => Err(e.into()),
    };
    let outcome = result(r, "/settings", |m| {
        Outcome::Done(
            "/settings".into(),
            notice(format!(
                "{} is now {}.",
                m.email,
                m.role.label().to_lowercase()
            )),
        )
    });
    finish(&session, outcome).await
}

async fn remove_member(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let leaving = p.user_id == Some(id);
    let r = service::remove_member(&state, &p, id).await;
    let outcome = result(r, "/settings", |()| {
        if leaving {
            Outcome::Done(
                "/dashboard".into(),
                notice(format!("You left {}.", p.workspace_name)),
            )
        } else {
            Outcome::Done("/settings".into(), notice("Member removed.".into()))
        }
    });
    finish(&session, outcome).await
}

async fn create_workspace(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let req = service::CreateWorkspaceRequest {
        name: f.get("name"),
    };
    let r = match service::create_workspace(&state, &p, req).await {
        Ok(ws) => service::switch_workspace(&state, &session, &p, ws.id).await,
        Err(e) => Err(e),
    };
    let outcome = result(r, "/settings", |ws| {
        Outcome::Done(
            "/dashboard".into(),
            notice(format!(
                "Workspace “{}” created. You are working in it now.",
                ws.name
            )),
        )
    });
    finish(&session, outcome).await
}

async fn switch_workspace(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = match f.get("workspace_id").trim().parse::<i64>() {
        Ok(id) => service::switch_workspace(&state, &session, &p, id).await,
        Err(_) => Err(ApiError::not_found("workspace")),
    };
    let outcome = result(r, "/dashboard", |ws| {
        Outcome::Done(
            "/dashboard".into(),
            notice(format!("You are now working in {}.", ws.name)),
        )
    });
    finish(&session, outcome).await
}

async fn publish_bot(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let back = format!("/bots/{id}");
    let r = service::publish(&state, &p, id).await;
    let outcome = result(r, &back, |v| {
        Outcome::Done(
            back.clone(),
            notice(format!(
                "Published as version {}. Shoppers now talk to this flow.",
                v.number
            )),
        )
    });
    finish(&session, outcome).await
}

async fn restore_version(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathIds(id, n): PathIds,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let back = format!("/bots/{id}");
    let r = service::restore(&state, &p, id, n).await;
    let outcome = result(r, &back, |v| {
        Outcome::Done(
            back.clone(),
            notice(format!(
                "Version {n} is live again, as version {}.",
                v.number
            )),
        )
    });
    finish(&session, outcome).await
}

/// A product form's fields as an API input. Unchecked checkboxes are absent
/// from a form post, so `active` is read as present-or-not.
fn product_input(f: &Fields) -> Result<service::ProductInput, ApiError> {
    let stock = match f.get("stock").trim() {
        "" => None,
        s => Some(s.parse::<u32>().map_err(|_| {
            ApiError::invalid(
                "invalid_product",
                "Stock must be a whole number of units, or empty when not tracked.",
            )
        })?),
    };
    let currency = f.get("currency");
    Ok(service::ProductInput {
        sku: Some(f.get("sku").trim().to_string()),
        name: Some(f.get("name")),
        description: Some(f.get("description")),
        price: Some(service::PriceInput::Text(f.get("price"))),
        currency: (!currency.trim().is_empty()).then(|| currency.trim().to_string()),
        image_url: Some(Some(f.get("image_url"))),
        stock: Some(stock),
        active: Some(!f.get("active").is_empty()),
        collections: Some(
            f.get("collections")
                .split(',')
                .map(str::to_string)
                .collect(),
        ),
    })
}

async fn create_product(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = match product_input(&f) {
        Ok(input) => service::create_product(&state, &p, input).await,
        Err(e) => Err(e),
    };
    let outcome = result(r, "/products", |v| {
        Outcome::Done(
            "/products".into(),
            notice(format!("“{}” added to the catalog.", v.name)),
        )
    });
    finish(&session, outcome).await
}

async fn update_product(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = match product_input(&f) {
        Ok(input) => service::update_product(&state, &p, id, input).await,
        Err(e) => Err(e),
    };
    let back = format!("/products/{id}");
    let outcome = result(r, &back, |v| {
        Outcome::Done("/products".into(), notice(format!("“{}” saved.", v.name)))
    });
    finish(&session, outcome).await
}

async fn delete_product(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = service::delete_product(&state, &p, id).await;
    let outcome = result(r, "/products", |()| {
        Outcome::Done("/products".into(), notice("Product deleted.".into()))
    });
    finish(&session, outcome).await
}

async fn import_products(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = match read_file(multipart).await {
        Ok(text) => service::import_products(&state, &p, &text).await,
        Err(e) => Err(e),
    };
    let outcome = result(r, "/products", |r| {
        Outcome::Done(
            "/products".into(),
            notice(format!(
                "Imported: {} new, {} updated.",
                r.created, r.updated
            )),
        )
    });
    finish(&session, outcome).await
}

/// The text of the uploaded `file` field.
async fn read_file(
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<String, ApiError> {
    let choose = || ApiError::invalid("invalid_csv", "Choose a CSV file to import.");
    let mut multipart = multipart.map_err(|_| choose())?;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            let bytes = field
                .bytes()
                .await
                .map_err(|_| crate::extract::too_large())?;
            if bytes.is_empty() {
                return Err(choose());
            }
            return String::from_utf8(bytes.to_vec()).map_err(|_| {
                ApiError::invalid(
                    "invalid_csv",
                    "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.",
                )
            });
        }
    }
    Err(choose())
}

async fn set_order_status(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let back = format!("/orders/{id}");
    let r = match app::commerce::OrderStatus::parse(&f.get("status")) {
        Some(status) => {
            let req = service::StatusRequest {
                status,
                note: f.get("note"),
            };
            service::set_order_status(&state, &p, id, req).await
        }
        None => Err(ApiError::invalid("invalid_status", "Choose a status.")),
    };
    let outcome = result(r, &back, |o| {
        Outcome::Done(
            back.clone(),
            notice(format!(
                "Order #{} is now {}.",
                o.summary.number,
                o.summary.status.label().to_lowercase()
            )),
        )
    });
    finish(&session, outcome).await
}

async fn connect_channel(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let bot_id = f.get("bot_id").trim().parse::<i64>().unwrap_or(0);
    let req = match f.get("kind").as_str() {
        "messenger" => Ok(service::ConnectRequest::Messenger {
            bot_id,
            page_id: f.get("page_id"),
            access_token: f.get("access_token"),
            name: None,
        }),
        "whatsapp" => Ok(service::ConnectRequest::Whatsapp {
            bot_id,
            phone_number_id: f.get("phone_number_id"),
            access_token: f.get("access_token"),
            waba_id: None,
            catalog_id: None,
            name: None,
        }),
        "web" => Ok(service::ConnectRequest::Web {
            bot_id,
            allowed_origins: f
                .get("allowed_origins")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            name: None,
        }),
        _ => Err(ApiError::invalid(
            "invalid_channel",
            "Choose Messenger, WhatsApp or web chat.",
        )),
    };
    let r = match req {
        Ok(req) => service::connect(&state, &p, req).await,
        Err(e) => Err(e),
    };
    let outcome = result(r, "/channels", |c| {
        Outcome::Done(
            "/channels".into(),
            notice(format!("{} is connected.", c.name)),
        )
    });
    finish(&session, outcome).await
}

async fn disconnect_channel(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let r = service::disconnect(&state, &p, id).await;
    let outcome = result(r, "/channels", |()| {
        Outcome::Done(
            "/channels".into(),
            notice("Channel disconnected. Its conversations are kept.".into()),
        )
    });
    finish(&session, outcome).await
}

async fn replace_channel_token(
    State(state): State<AppState>,
    session: Session,
    ext: Extensions,
    PathId(id): PathId,
    f: Fields,
) -> Response {
    let Some(p) = signed_in(&ext) else {
        return to_login();
    };
    let req = service::UpdateChannel {
        access_token: Some(f.get("access_token")),
        ..Default::default()
    };
    let r = service::update_channel(&state, &p, id, req).await;
    let outcome = result(r, "/channels", |c| {
        Outcome::Done(
            "/channels".into(),
            notice(format!(
                "The new token is saved; {} is working again.",
                c.name
            )),
        )
    });
    finish(&session, outcome).await
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/settings"), "/settings");
        assert_eq!(safe_next("//evil.example"), "/dashboard");
        assert_eq!(safe_next("/\\evil.example"), "/dashboard");
        assert_eq!(safe_next("https://evil.example"), "/dashboard");
        assert_eq!(safe_next(""), "/dashboard");
        // Browsers strip tabs and newlines, so these become `//evil.example`.
        for sneaky in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\u{0}/evil.example",
            " //evil.example",
            "/ /evil.example",
            "/\u{a0}/evil.example",
            "/\u{2028}/evil.example",
            "/x\\..\\/evil.example",
            "evil.example",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(sneaky), "/dashboard", "{sneaky:?}");
        }
        // Ordinary local paths with queries and fragments pass untouched.
        assert_eq!(
            safe_next("/bots/3/edit?tab=flow#node-1"),
            "/bots/3/edit?tab=flow#node-1"
        );
        assert_eq!(safe_next("/orders?status=paid"), "/orders?status=paid");
    }
}
