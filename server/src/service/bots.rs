//! Bots: create (blank or from a template), list, rename, delete.

use app::account::parse_name;
use app::flow::{FlowDoc, templates};
use app::model::ErrorCode;
use app::model::{BotSummary, Principal, Role};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{require, tenant};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{BotId, BotRow};

fn bot_summary(b: BotRow) -> BotSummary {
    BotSummary {
        id: b.id.0,
        name: b.name,
        draft_revision: b.draft_revision,
        created_at: b.created_at,
        updated_at: b.updated_at,
        published_version: b.published_version,
    }
}

/// The workspace's bots.
pub async fn list_bots(state: &AppState, p: &Principal) -> ApiResult<Vec<BotSummary>> {
    Ok(tenant(state, p)
        .bots()
        .await?
        .into_iter()
        .map(bot_summary)
        .collect())
}

/// `POST /api/v1/bots`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBotRequest {
    /// Its name.
    pub name: String,
    /// A template to start the draft from; omit for an empty flow.
    #[serde(default)]
    pub template: Option<String>,
}

/// Creates a bot with an empty draft.
pub async fn create_bot(
    state: &AppState,
    p: &Principal,
    req: CreateBotRequest,
) -> ApiResult<BotSummary> {
    require(p, Role::Editor, "create bots")?;
    let name = parse_name(&req.name, "bot name")?;
    let doc = match req.template.as_deref().map(str::trim) {
        None | Some("") | Some("blank") => FlowDoc::default(),
        Some(t) => templates::template(t).ok_or_else(|| {
            ApiError::invalid(
                ErrorCode::UnknownTemplate,
                format!(
                    "There is no template called “{t}”. Choose one of: {}, or leave it out to start from an empty flow.",
                    templates::TEMPLATES
                        .iter()
                        .map(|t| t.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?,
    };
    Ok(bot_summary(
        tenant(state, p).create_bot(&name, &doc.to_json()).await?,
    ))
}

/// One bot of the workspace.
pub async fn get_bot(state: &AppState, p: &Principal, id: BotId) -> ApiResult<BotSummary> {
    tenant(state, p)
        .bot(id)
        .await?
        .map(bot_summary)
        .ok_or_else(|| ApiError::not_found("bot"))
}

/// `PATCH /api/v1/bots/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RenameBotRequest {
    /// The new name.
    pub name: String,
}

/// Renames a bot.
pub async fn rename_bot(
    state: &AppState,
    p: &Principal,
    id: BotId,
    req: RenameBotRequest,
) -> ApiResult<BotSummary> {
    require(p, Role::Editor, "change bots")?;
    let name = parse_name(&req.name, "bot name")?;
    tenant(state, p)
        .rename_bot(id, &name)
        .await?
        .map(bot_summary)
        .ok_or_else(|| ApiError::not_found("bot"))
}

/// Deletes a bot.
pub async fn delete_bot(state: &AppState, p: &Principal, id: BotId) -> ApiResult<()> {
    require(p, Role::Editor, "delete bots")?;
    if tenant(state, p).delete_bot(id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found("bot"))
    }
}
