//! Request extractors that fail with the API's error shape instead of
//! axum's plain-text rejections.

use app::model::ErrorCode;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;

/// A JSON body. Refuses a non-JSON content type (415), an oversized body
/// (413), malformed JSON (400) and JSON of the wrong shape (422).
pub struct ApiJson<T>(pub T);

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// 413, naming the limit.
pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        "The request body is larger than this server accepts.",
    )
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "Send the request body as JSON, with the header Content-Type: application/json.",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::bad_request(
                    ErrorCode::UnreadableBody,
                    "The request body could not be read.",
                )
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body with the API's errors.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            ErrorCode::MalformedJson,
            "The request body is empty; send a JSON object.",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::invalid(ErrorCode::InvalidBody, plain_words(&e)),
            _ => ApiError::bad_request(
                ErrorCode::MalformedJson,
                format!(
                    "The request body is not valid JSON (line {}, column {}).",
                    e.line(),
                    e.column()
                ),
            ),
        }
    })
}

/// serde's sentence for a body of the wrong shape, in plain words:
/// "missing field `password` at line 1 column 42" becomes "The field
/// `password` is missing."
fn plain_words(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text
        .rfind(" at line ")
        .map_or(text.as_str(), |at| &text[..at]);
    let expected = |rest: &str| {
        rest.split_once(", expected ")
            .map(|(got, want)| (got.to_string(), want.to_string()))
    };
    if let Some(field) = text.strip_prefix("missing field ") {
        format!("The field {field} is missing.")
    } else if let Some(rest) = text.strip_prefix("unknown field ") {
        match expected(rest) {
            Some((field, known)) => {
                format!("The field {field} is not one this request takes; it takes {known}.")
            }
            None => format!("The field {rest} is not one this request takes."),
        }
    } else if let Some(rest) = text.strip_prefix("unknown variant ") {
        match expected(rest) {
            Some((value, known)) => format!("The value {value} is not allowed; use {known}."),
            None => format!("The value {rest} is not allowed."),
        }
    } else if let Some(rest) = text
        .strip_prefix("invalid type: ")
        .or_else(|| text.strip_prefix("invalid value: "))
    {
        match expected(rest) {
            Some((got, want)) => format!("A value is {got} where {want} was expected."),
            None => "A value has the wrong type.".to_string(),
        }
    } else {
        format!("The request body does not have the expected fields: {text}.")
    }
}

/// A path id of type `T` (such as `BotId`) that must be a positive integer;
/// anything else is a 404, just like an id that does not exist.
pub struct PathId<T>(pub T);

impl<S: Send + Sync, T: From<i64>> FromRequestParts<S> for PathId<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::not_found("item"))?;
        positive(&raw)
            .map(|id| PathId(T::from(id)))
            .ok_or_else(|| ApiError::not_found("item"))
    }
}

fn positive(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}

/// A path id of type `T` and a number after it (`/bots/{id}/versions/{n}`),
/// both positive integers; else 404.
pub struct PathIds<T>(pub T, pub i64);

impl<S: Send + Sync, T: From<i64>> FromRequestParts<S> for PathIds<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path((a, b)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::not_found("item"))?;
        match (positive(&a), positive(&b)) {
            (Some(a), Some(b)) => Ok(PathIds(T::from(a), b)),
            _ => Err(ApiError::not_found("item")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[expect(dead_code, reason = "only the parse outcome matters")]
    struct Body {
        name: String,
    }

    #[test]
    fn json_errors_are_classified() {
        assert_eq!(
            parse_json::<Body>(b"").unwrap_err().error.code,
            ErrorCode::MalformedJson
        );
        assert_eq!(
            parse_json::<Body>(b"{\"name\":").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        let missing = parse_json::<Body>(b"{}").unwrap_err();
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            missing.error.message.contains("name"),
            "{}",
            missing.error.message
        );
        assert!(parse_json::<Body>(b"{\"name\":\"x\"}").is_ok());
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only the parse outcome matters")]
    struct Strict {
        name: String,
        kind: Kind,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Web,
        Messenger,
        Whatsapp,
    }

    #[test]
    fn shape_errors_are_plain_sentences() {
        let message = |body: &str| {
            parse_json::<Strict>(body.as_bytes())
                .unwrap_err()
                .error
                .message
        };
        assert_eq!(
            message(r#"{"kind": "web"}"#),
            "The field `name` is missing."
        );
        assert_eq!(
            message(r#"{"name": 5, "kind": "web"}"#),
            "A value is integer `5` where a string was expected."
        );
        assert_eq!(
            message(r#"{"name": "x", "kind": "fax"}"#),
            "The value `fax` is not allowed; use one of `web`, `messenger`, `whatsapp`."
        );
        assert_eq!(
            message(r#"{"name": "x", "kind": "web", "colour": 1}"#),
            "The field `colour` is not one this request takes; it takes `name` or `kind`."
        );
        // No parser positions or internals in any of them.
        for body in [r#"{"kind": "web"}"#, r#"{"name": 5, "kind": "web"}"#] {
            assert!(!message(body).contains("line"), "{}", message(body));
        }
        let malformed = parse_json::<Strict>(b"{\"name\":").unwrap_err();
        assert_eq!(
            malformed.error.message,
            "The request body is not valid JSON (line 1, column 8)."
        );
    }

    #[test]
    fn json_content_types_are_recognised() {
        let mut h = axum::http::HeaderMap::new();
        assert!(!is_json(&h));
        h.insert(
            header::CONTENT_TYPE,
            "application/json; charset=utf-8".parse().unwrap(),
        );
        assert!(is_json(&h));
        h.insert(
            header::CONTENT_TYPE,
            "application/merge-patch+json".parse().unwrap(),
        );
        assert!(is_json(&h));
        h.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert!(!is_json(&h));
    }
}
