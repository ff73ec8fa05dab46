//! Drafts, validation, publishing, version history and simulation.

use app::flow::interpreter::{Input, ValidFlow};
use app::flow::{FlowDoc, Problem, Report, templates, validate};
use app::model::ErrorCode;
use app::model::{Principal, Role};
use app::views::{TemplateSummary, Validation, VersionSummary};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::actor_name;
use super::{require, tenant};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{BotId, DraftRow, DraftSave};
use app::flow::simulate::{SimLine, simulate};

/// A bot's draft flow.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Draft {
    /// Send this back with the next `PUT`; a stale one is refused with 409.
    pub revision: i64,
    /// The flow document.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// Last saved, in milliseconds since the Unix epoch.
    pub updated_at: i64,
}

/// `PUT /api/v1/bots/{id}/draft`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SaveDraftRequest {
    /// The revision this edit started from.
    pub revision: i64,
    /// The new document.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

/// The saved draft's new revision and its problems.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SavedDraft {
    /// The new revision.
    pub revision: i64,
    /// What validation finds in it now.
    pub problems: Vec<Problem>,
}

/// A published version with its document.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VersionDetail {
    /// The version.
    #[serde(flatten)]
    pub summary: VersionSummary,
    /// Its flow document, read-only.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

fn parse_doc(json: &str) -> ApiResult<FlowDoc> {
    FlowDoc::from_json(json)
        .map_err(|e| ApiError::internal(&format!("stored flow unreadable: {e}")))
}

async fn bot_exists(state: &AppState, p: &Principal, bot: BotId) -> ApiResult<()> {
    tenant(state, p)
        .bot(bot)
        .await?
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found("bot"))
}

/// A bot's draft, or 404.
async fn draft_row(state: &AppState, p: &Principal, bot: BotId) -> ApiResult<DraftRow> {
    tenant(state, p)
        .draft(bot)
        .await?
        .ok_or_else(|| ApiError::not_found("bot"))
}

/// The validation report, with catalog-aware warnings.
pub async fn report(state: &AppState, p: &Principal, doc: &FlowDoc) -> ApiResult<Report> {
    let catalog = tenant(state, p).catalog().await?;
    Ok(validate(doc, Some(&catalog)))
}

/// The draft of a bot as a document, with its revision.
pub async fn draft_document(
    state: &AppState,
    p: &Principal,
    bot: BotId,
) -> ApiResult<(i64, FlowDoc)> {
    let row = draft_row(state, p, bot).await?;
    Ok((row.draft_revision, parse_doc(&row.draft)?))
}

/// The draft of a bot.
pub async fn get_draft(state: &AppState, p: &Principal, bot: BotId) -> ApiResult<Draft> {
    let row = draft_row(state, p, bot).await?;
    let doc = parse_doc(&row.draft)?;
    Ok(Draft {
        revision: row.draft_revision,
        document: serde_json::to_value(&doc).unwrap_or_default(),
        updated_at: row.updated_at,
    })
}

/// Saves a draft if nobody saved since `revision`.
pub async fn save_draft(
    state: &AppState,
    p: &Principal,
    bot: BotId,
    req: SaveDraftRequest,
) -> ApiResult<SavedDraft> {
    require(p, Role::Editor, "edit flows")?;
    let doc = FlowDoc::from_value(req.document)
        .map_err(|e| ApiError::invalid(ErrorCode::InvalidDocument, e.to_string()))?;
    let json = doc.to_json();
    if json.len() > app::flow::doc::MAX_DOC_BYTES {
        return Err(ApiError::invalid(
            ErrorCode::InvalidDocument,
            app::flow::doc::DocError::TooLarge.to_string(),
        ));
    }
    // Beyond these bounds a draft is not stored at all (validation of a
    // stored draft reports the same, step by step).
    doc.check_limits()
        .map_err(|e| ApiError::invalid(ErrorCode::TooLarge, e.to_string()))?;
    match tenant(state, p).save_draft(bot, req.revision, &json)
        .await?
    {
        DraftSave::Saved(revision) => Ok(SavedDraft {
            revision,
            problems: report(state, p, &doc).await?.problems,
        }),
        DraftSave::Stale(current) => Err(ApiError::conflict(
            ErrorCode::StaleRevision,
            format!(
                "This flow was saved elsewhere meanwhile (now at revision {current}; you edited revision {}). Reload it before saving, or your changes would overwrite theirs.",
                req.revision
            ),
        )
        .with("current_revision", serde_json::json!(current))),
        DraftSave::Missing => Err(ApiError::not_found("bot")),
    }
}

/// The draft's problems.
pub async fn validate_draft(state: &AppState, p: &Principal, bot: BotId) -> ApiResult<Validation> {
    let row = draft_row(state, p, bot).await?;
    let r = report(state, p, &parse_doc(&row.draft)?).await?;
    Ok(Validation {
        publishable: !r.has_errors(),
        problems: r.problems,
    })
}

fn unpublishable(r: Report) -> ApiError {
    let errors = r.errors().count();
    ApiError::invalid(
        ErrorCode::InvalidFlow,
        format!(
            "The flow has {errors} problem{} to fix before it can be published.",
            if errors == 1 { "" } else { "s" }
        ),
    )
    .with(
        "problems",
        serde_json::to_value(&r.problems).unwrap_or_default(),
    )
}

/// Publishes the draft as the next version.
pub async fn publish(state: &AppState, p: &Principal, bot: BotId) -> ApiResult<VersionSummary> {
    require(p, Role::Editor, "publish bots")?;
    let row = draft_row(state, p, bot).await?;
    let doc = parse_doc(&row.draft)?;
    let r = report(state, p, &doc).await?;
    if r.has_errors() {
        return Err(unpublishable(r));
    }
    publish_doc(state, p, bot, &doc, "").await
}

/// Publishes the draft as the next version if it is still at `revision`,
/// the one the merchant looked at; the check and the publish are atomic.
pub async fn publish_revision(
    state: &AppState,
    p: &Principal,
    bot: BotId,
    revision: i64,
) -> ApiResult<VersionSummary> {
    require(p, Role::Editor, "publish bots")?;
    let stale = || {
        ApiError::conflict(
            ErrorCode::StaleRevision,
            "The draft was changed elsewhere since you opened it. Reload it, check it, then publish.",
        )
    };
    let row = draft_row(state, p, bot).await?;
    if row.draft_revision != revision {
        return Err(stale());
    }
    let doc = parse_doc(&row.draft)?;
    let r = report(state, p, &doc).await?;
    if r.has_errors() {
        return Err(unpublishable(r));
    }
    let Some(v) = tenant(state, p)
        .publish_revision(bot, revision, &doc.to_json(), &actor_name(p))
        .await?
    else {
        // Saved (or deleted) between the read and the publish.
        return Err(match tenant(state, p).draft(bot).await? {
            Some(_) => stale(),
            None => ApiError::not_found("bot"),
        });
    };
    metrics::counter!("flows_published_total").increment(1);
    Ok(VersionSummary {
        number: v.number,
        author: v.author,
        note: v.note,
        created_at: v.created_at,
    })
}

async fn publish_doc(
    state: &AppState,
    p: &Principal,
    bot: BotId,
    doc: &FlowDoc,
    note: &str,
) -> ApiResult<VersionSummary> {
    let v = tenant(state, p)
        .publish(bot, &doc.to_json(), &actor_name(p), note)
        .await?
        .ok_or_else(|| ApiError::not_found("bot"))?;
    metrics::counter!("flows_published_total").increment(1);
    Ok(VersionSummary {
        number: v.number,
        author: v.author,
        note: v.note,
        created_at: v.created_at,
    })
}

/// The bot's versions, newest first.
pub async fn versions(
    state: &AppState,
    p: &Principal,
    bot: BotId,
) -> ApiResult<Vec<VersionSummary>> {
    bot_exists(state, p, bot).await?;
    Ok(tenant(state, p)
        .versions(bot)
        .await?
        .into_iter()
        .map(|v| VersionSummary {
            number: v.number,
            author: v.author,
            note: v.note,
            created_at: v.created_at,
        })
        .collect())
}

/// One version with its document.
pub async fn version(
    state: &AppState,
    p: &Principal,
    bot: BotId,
    number: i64,
) -> ApiResult<VersionDetail> {
    let v = tenant(state, p)
        .version(bot, number)
        .await?
        .ok_or_else(|| ApiError::not_found("version"))?;
    let doc = parse_doc(&v.document)?;
    Ok(VersionDetail {
        summary: VersionSummary {
            number: v.number,
            author: v.author,
            note: v.note,
            created_at: v.created_at,
        },
        document: serde_json::to_value(&doc).unwrap_or_default(),
    })
}

/// Publishes an old version again, as a new number: a rollback that keeps
/// history growing.
pub async fn restore(
    state: &AppState,
    p: &Principal,
    bot: BotId,
    number: i64,
) -> ApiResult<VersionSummary> {
    require(p, Role::Editor, "publish bots")?;
    let v = tenant(state, p)
        .version(bot, number)
        .await?
        .ok_or_else(|| ApiError::not_found("version"))?;
    let doc = parse_doc(&v.document)?;
    // The version was valid when published, but the rules may have grown
    // since (a loop check that catches more): check it again.
    let r = report(state, p, &doc).await?;
    if r.has_errors() {
        return Err(unpublishable(r));
    }
    publish_doc(
        state,
        p,
        bot,
        &doc,
        &format!("Restored from version {number}"),
    )
    .await
}

/// Every built-in template.
pub fn list_templates() -> Vec<TemplateSummary> {
    templates::TEMPLATES
        .iter()
        .map(|t| TemplateSummary {
            id: t.id.to_string(),
            name: t.name.to_string(),
            description: t.description.to_string(),
            steps: templates::template(t.id).map_or(0, |d| d.nodes.len()),
        })
        .collect()
}

/// One scripted input: plain text, or a full input object.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum SimInput {
    /// Typed text.
    Text(String),
    /// Any input: `{"kind": "payload", "payload": "…"}`, `{"kind": "start"}`, …
    Full(Input),
}

/// `POST /api/v1/bots/{id}/simulate`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SimulateRequest {
    /// A published version; the draft when absent.
    #[serde(default)]
    pub version: Option<i64>,
    /// What the shopper does, in order (at most 200): strings are typed
    /// text; objects are inputs such as `{"kind": "payload", "payload": "…"}`.
    #[schema(value_type = Vec<Object>)]
    pub inputs: Vec<SimInput>,
}

/// The transcript of a simulated conversation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SimulateResponse {
    /// The version run; absent for the draft.
    pub version: Option<i64>,
    /// The draft's problems (empty for a published version).
    pub problems: Vec<Problem>,
    /// What was said, in order.
    pub transcript: Vec<SimLine>,
    /// Orders the conversation would place (not stored).
    #[schema(value_type = Vec<Object>)]
    pub orders: Vec<app::commerce::NewOrder>,
    /// The session at the end.
    #[schema(value_type = Object)]
    pub session: app::flow::Session,
    /// Whether the script was cut short: the bot said more than a
    /// simulation may hold (1 MB), and the inputs after that were not
    /// played.
    pub truncated: bool,
}

/// Runs a scripted conversation through the draft or a version; stores
/// nothing.
pub async fn simulate_bot(
    state: &AppState,
    p: &Principal,
    bot: BotId,
    req: SimulateRequest,
) -> ApiResult<SimulateResponse> {
    // Running a draft costs processor time: people who may change bots.
    require(p, Role::Editor, "try bots")?;
    if req.inputs.len() > 200 {
        return Err(ApiError::invalid(
            ErrorCode::TooManyInputs,
            "Simulate at most 200 inputs at a time.",
        ));
    }
    let (doc, problems) = match req.version {
        Some(n) => {
            let v = tenant(state, p)
                .version(bot, n)
                .await?
                .ok_or_else(|| ApiError::not_found("version"))?;
            (parse_doc(&v.document)?, Vec::new())
        }
        None => {
            let row = tenant(state, p)
                .draft(bot)
                .await?
                .ok_or_else(|| ApiError::not_found("bot"))?;
            let doc = parse_doc(&row.draft)?;
            let problems = report(state, p, &doc).await?.problems;
            (doc, problems)
        }
    };
    let catalog = tenant(state, p).catalog().await?;
    let asked = req.inputs.len();
    let inputs = req
        .inputs
        .into_iter()
        .map(|i| match i {
            SimInput::Text(text) => Input::Text { text },
            SimInput::Full(input) => input,
        })
        .collect();
    let flow = ValidFlow::unchecked(doc);
    let preview_url = format!("{}/o/preview", state.public_url);
    // A long script is CPU work: off the threads that serve requests.
    let (transcript, orders, session) = tokio::task::spawn_blocking(move || {
        simulate(
            &flow,
            &catalog,
            inputs,
            crate::store::now_ms(),
            &preview_url,
        )
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let played = transcript
        .iter()
        .filter(|l| matches!(l, SimLine::In { .. }))
        .count();
    Ok(SimulateResponse {
        version: req.version,
        problems,
        transcript,
        orders,
        session,
        truncated: played < asked,
    })
}

/// The JSON Schema of flow documents.
pub fn flow_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(FlowDoc)).unwrap_or_default()
}
