//! The hosted order page: what a shopper sees behind the unguessable link
//! sent in the chat. The token is the only key; nothing else about the
//! workspace is reachable from here.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::service::order_summary;
use crate::state::AppState;

use super::escape::html as esc;

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f6f7fb;color:#1d2330;margin:0}\
main{max-width:32rem;margin:2rem auto;background:#fff;border:1px solid #dfe3ea;border-radius:10px;padding:1.5rem}\
table{width:100%;border-collapse:collapse}td{padding:.4rem 0;border-bottom:1px solid #eef0f4}td.r{text-align:right}\
.status{display:inline-block;padding:.2rem .6rem;border-radius:999px;background:#eef2ff;color:#3730a3;font-weight:600}\
.total td{font-weight:700;border:none}.muted{color:#5b6475}";

/// `GET /o/{token}`.
pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let found = if token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        state.store.order_by_token(&token).await
    } else {
        Ok(None)
    };
    let order = match found {
        Ok(Some((_, order))) => order,
        Ok(None) => {
            return page(
                StatusCode::NOT_FOUND,
                "Order not found",
                "<h1>Order not found</h1><p>This link does not lead to an order. Check that you copied the whole link from the chat.</p>".into(),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "order page lookup failed");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again",
                "<h1>Something went wrong</h1><p>Please try again in a moment.</p>".into(),
            );
        }
    };
    let s = order_summary(&order);
    let mut rows = String::new();
    for l in order.lines() {
        let amount = l
            .unit_price
            .checked_mul(l.qty)
            .map(|m| m.to_string())
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td>{} × {}</td><td class=\"r\">{}</td></tr>",
            l.qty,
            esc(&l.name),
            esc(&amount)
        ));
    }
    let details = order.details();
    let deliver = details
        .get("address")
        .map(|a| format!("<p class=\"muted\">Delivery to: {}</p>", esc(a)))
        .unwrap_or_default();
    let pay = match (s.status, s.payment.as_str()) {
        (app::commerce::OrderStatus::Placed, "cash_on_delivery") => format!(
            "<p>Please have <strong>{}</strong> ready when your order arrives.</p>",
            esc(&s.total_label)
        ),
        (app::commerce::OrderStatus::Placed, _) => "<p>The shop will confirm your payment here. If you have questions, reply in the chat.</p>".to_string(),
        _ => String::new(),
    };
    let body = format!(
        "<h1>Order {}</h1><p><span class=\"status\" data-testid=\"order-status\">{}</span></p>\
         <table>{rows}<tr class=\"total\"><td>Total</td><td class=\"r\">{}</td></tr></table>{deliver}{pay}",
        s.number,
        s.status.label(),
        esc(&s.total_label),
    );
    page(StatusCode::OK, &format!("Order {}", s.number), body)
}

fn page(status: StatusCode, title: &str, body: String) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{}</title><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>",
        esc(title)
    );
    let mut res = (status, Html(html)).into_response();
    // The link is a secret: keep it out of caches and referrers.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}
