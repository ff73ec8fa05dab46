//! The merchant's inbox: conversation lists with filters and cursors,
//! assignment, closing and reopening, and the actions log (issue 12).
//!
//! The list is keyset-paged on `(updated_at, id)`, newest first, so a page
//! costs the same at any depth. A conversation that becomes active while
//! someone pages moves to the top: it is not repeated on a later page, and
//! the pages already fetched keep their rows (the next refresh of the first
//! page shows it).

use app::channel::Channel;
use sqlx::FromRow;

use super::conversations::{CONV_COLUMNS, ConversationRow};
use super::{BotId, ConversationId, Result, UserId, Workspace, WorkspaceTx, now_ms};

/// Who a listed conversation is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Nobody.
    Nobody,
    /// This member.
    Member(UserId),
}

/// What the inbox list shows.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    /// `open`, `waiting` or `closed`.
    pub status: Option<&'static str>,
    /// Assigned to.
    pub assignee: Option<AssigneeFilter>,
    /// One channel kind.
    pub channel: Option<Channel>,
    /// One bot.
    pub bot: Option<BotId>,
    /// Words in the shopper's name, phone or attributes, an order number,
    /// or a message's text.
    pub q: Option<String>,
    /// After this `(updated_at, id)`.
    pub after: Option<(i64, i64)>,
    /// Rows wanted.
    pub limit: i64,
}

/// A conversation as the inbox lists it.
#[derive(Debug, Clone, FromRow)]
pub struct InboxListRow {
    /// The conversation.
    #[sqlx(flatten)]
    pub conversation: ConversationRow,
    /// Its bot's name.
    pub bot_name: String,
    /// The assignee's email.
    pub assignee_email: Option<String>,
    /// The latest message's text.
    pub last_message: Option<String>,
}

/// Something a person (or a handoff) did to a conversation.
#[derive(Debug, Clone, FromRow)]
pub struct ActionRow {
    /// Id.
    pub id: i64,
    /// `handoff`, `assigned`, `unassigned`, `closed`, `reopened`,
    /// `resumed`, `paused`.
    pub kind: String,
    /// Who did it, if a member.
    pub actor_email: Option<String>,
    /// What, in words (the reason, the assignee).
    pub detail: String,
    /// When.
    pub created_at: i64,
}

/// The counts the top bar shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct InboxCountRow {
    /// Conversations with messages nobody has read.
    pub unread: i64,
    /// Conversations waiting for a person.
    pub waiting: i64,
}

/// A value bound to a built statement.
enum Arg {
    Int(i64),
    Text(String),
}

/// `text` for a `LIKE … ESCAPE '\'` pattern matching it anywhere,
/// lower-cased.
fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Workspace<'_> {
    /// One page of the inbox, newest activity first.
    pub async fn inbox_list(self, f: &InboxFilter) -> Result<Vec<InboxListRow>> {
        let mut args = vec![Arg::Int(self.ws.0)];
        let next = |args: &mut Vec<Arg>, a: Arg| {
            args.push(a);
            format!("${}", args.len())
        };
        let mut cond = String::from("c.workspace_id = $1");
        if let Some(status) = f.status {
            let n = next(&mut args, Arg::Text(status.into()));
            cond.push_str(&format!(" AND c.status = {n}"));
        }
        match f.assignee {
            Some(AssigneeFilter::Nobody) => cond.push_str(" AND c.assignee_id IS NULL"),
            Some(AssigneeFilter::Member(u)) => {
                let n = next(&mut args, Arg::Int(u.0));
                cond.push_str(&format!(" AND c.assignee_id = {n}"));
            }
            None => {}
        }
        if let Some(ch) = f.channel {
            let n = next(&mut args, Arg::Text(ch.as_str().into()));
            cond.push_str(&format!(" AND c.channel = {n}"));
        }
        if let Some(bot) = f.bot {
            let n = next(&mut args, Arg::Int(bot.0));
            cond.push_str(&format!(" AND c.bot_id = {n}"));
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let like = next(&mut args, Arg::Text(contains_pattern(q)));
            let number = q.trim_start_matches('#');
            let by_number = match number.parse::<i64>() {
                Ok(n) => {
                    let n = next(&mut args, Arg::Int(n));
                    format!(
                        " OR EXISTS (SELECT 1 FROM orders o WHERE o.conversation_id = c.id AND o.number = {n})"
                    )
                }
                Err(_) => String::new(),
            };
            cond.push_str(&format!(
                " AND (LOWER(c.display_name) LIKE {like} ESCAPE '\\' \
                 OR LOWER(c.external_user) LIKE {like} ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM contacts k WHERE k.id = c.contact_id AND \
                    (LOWER(k.name) LIKE {like} ESCAPE '\\' OR LOWER(k.phone) LIKE {like} ESCAPE '\\' \
                     OR LOWER(k.attributes) LIKE {like} ESCAPE '\\')) \
                 OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id \
                    AND LOWER(m.preview) LIKE {like} ESCAPE '\\'){by_number})"
            ));
        }
        if let Some((at, id)) = f.after {
            let a = next(&mut args, Arg::Int(at));
            let i = next(&mut args, Arg::Int(id));
            cond.push_str(&format!(
                " AND c.updated_at <= {a} AND (c.updated_at < {a} OR c.id < {i})"
            ));
        }
        let limit = next(&mut args, Arg::Int(f.limit));
        let columns = CONV_COLUMNS
            .split(',')
            .map(|c| format!("c.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, b.name AS bot_name, u.email AS assignee_email, \
             (SELECT m.preview FROM messages m WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1) \
             AS last_message \
             FROM conversations c JOIN bots b ON b.id = c.bot_id \
             LEFT JOIN users u ON u.id = c.assignee_id \
             WHERE {cond} ORDER BY c.updated_at DESC, c.id DESC LIMIT {limit}"
        );
        let mut query = sqlx::query_as::<_, InboxListRow>(&sql);
        for a in args {
            query = match a {
                Arg::Int(i) => query.bind(i),
                Arg::Text(t) => query.bind(t),
            };
        }
        Ok(query.fetch_all(&self.readers).await?)
    }

    /// The top bar's counts.
    pub async fn inbox_counts(self) -> Result<InboxCountRow> {
        Ok(sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN unread > 0 AND status <> 'closed' THEN 1 ELSE 0 END), 0) AS unread, \
             COALESCE(SUM(CASE WHEN status = 'waiting' THEN 1 ELSE 0 END), 0) AS waiting \
             FROM conversations WHERE workspace_id = $1 AND (unread > 0 OR status = 'waiting')",
        )
        .bind(self.ws)
        .fetch_one(&self.readers)
        .await?)
    }

    /// The actions taken on a conversation, oldest first.
    pub async fn conversation_actions(self, conv: ConversationId) -> Result<Vec<ActionRow>> {
        Ok(sqlx::query_as(
            "SELECT a.id, a.kind, u.email AS actor_email, a.detail, a.created_at \
             FROM conversation_actions a LEFT JOIN users u ON u.id = a.actor_id \
             WHERE a.workspace_id = $1 AND a.conversation_id = $2 ORDER BY a.id LIMIT 2000",
        )
        .bind(self.ws)
        .bind(conv)
        .fetch_all(&self.readers)
        .await?)
    }

    /// Marks a conversation read.
    pub async fn mark_read(self, conv: ConversationId) -> Result<()> {
        sqlx::query(
            "UPDATE conversations SET unread = 0 WHERE workspace_id = $1 AND id = $2 AND unread <> 0",
        )
        .bind(self.ws)
        .bind(conv)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }
}

impl WorkspaceTx {
    /// Records what `actor` (none: the bot or the platform) did to a
    /// conversation, for its transcript.
    pub async fn record_action(
        &mut self,
        conv: ConversationId,
        kind: &str,
        actor: Option<UserId>,
        detail: &str,
    ) -> Result<()> {
        let ws = self.workspace_id();
        sqlx::query(
            "INSERT INTO conversation_actions (workspace_id, conversation_id, kind, actor_id, detail, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(ws)
        .bind(conv)
        .bind(kind)
        .bind(actor)
        .bind(detail)
        .bind(now_ms())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The conversation, locked for this transaction (a no-op update on
    /// PostgreSQL), or `None` when it is not this workspace's.
    pub async fn lock_conversation(
        &mut self,
        conv: ConversationId,
    ) -> Result<Option<ConversationRow>> {
        let ws = self.workspace_id();
        Ok(sqlx::query_as(&format!(
            "UPDATE conversations SET unread = unread WHERE workspace_id = $1 AND id = $2 RETURNING {CONV_COLUMNS}"
        ))
        .bind(ws)
        .bind(conv)
        .fetch_optional(self.conn())
        .await?)
    }

    /// Sets the inbox state of a conversation: its status, whether a
    /// person holds it, and its assignee. Activity moves it to the top.
    pub async fn set_inbox_state(
        &mut self,
        conv: ConversationId,
        status: &str,
        held: bool,
        assignee: Option<UserId>,
    ) -> Result<()> {
        let ws = self.workspace_id();
        sqlx::query(
            "UPDATE conversations SET status = $1, held = $2, assignee_id = $3, updated_at = $4, \
             unread = CASE WHEN $1 = 'closed' THEN 0 ELSE unread END, \
             paused_until = CASE WHEN $2 = 0 THEN NULL ELSE paused_until END \
             WHERE workspace_id = $5 AND id = $6",
        )
        .bind(status)
        .bind(i64::from(held))
        .bind(assignee)
        .bind(now_ms())
        .bind(ws)
        .bind(conv)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Puts a conversation in *waiting for a person*: a handoff asked for
    /// one. The bot stays silent until someone resumes it.
    pub async fn mark_waiting(&mut self, conv: ConversationId, reason: &str) -> Result<()> {
        let ws = self.workspace_id();
        sqlx::query(
            "UPDATE conversations SET status = 'waiting', held = 1, handoff_reason = $1, handoff_at = $2 \
             WHERE workspace_id = $3 AND id = $4",
        )
        .bind(reason)
        .bind(now_ms())
        .bind(ws)
        .bind(conv)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Stores a reply typed by a person (`author`, when a member), as an
    /// outbound message in the conversation's outbox; answers its id.
    pub async fn record_reply(
        &mut self,
        conv: ConversationId,
        status: super::MessageStatus,
        body: &str,
        preview: &str,
        author: Option<UserId>,
    ) -> Result<i64> {
        let ws = self.workspace_id();
        Ok(sqlx::query_scalar(
            "INSERT INTO messages (workspace_id, conversation_id, direction, body, preview, status, created_at, \
             author_id, human) VALUES ($1, $2, 'out', $3, $4, $5, $6, $7, 1) RETURNING id",
        )
        .bind(ws)
        .bind(conv)
        .bind(body)
        .bind(preview)
        .bind(status.as_str())
        .bind(now_ms())
        .bind(author)
        .fetch_one(self.conn())
        .await?)
    }

    /// Records a message a person sent the shopper outside Botme (an echo
    /// from Meta), once per platform message id; `false` when it was
    /// recorded before.
    pub async fn record_echo(
        &mut self,
        conv: ConversationId,
        event_id: &str,
        body: &str,
        preview: &str,
    ) -> Result<bool> {
        let ws = self.workspace_id();
        let done = sqlx::query(
            "INSERT INTO messages (workspace_id, conversation_id, direction, event_id, body, preview, status, \
             created_at, human) VALUES ($1, $2, 'out', $3, $4, $5, 'sent', $6, 1) \
             ON CONFLICT (conversation_id, direction, event_id) DO NOTHING",
        )
        .bind(ws)
        .bind(conv)
        .bind(event_id)
        .bind(body)
        .bind(preview)
        .bind(now_ms())
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How long a reply sent outside Botme pauses the bot, in
    /// milliseconds (the workspace's setting, 30 minutes unless changed).
    pub async fn echo_pause_ms(&mut self) -> Result<i64> {
        let ws = self.workspace_id();
        let minutes: Option<i64> = sqlx::query_scalar(
            "SELECT echo_pause_minutes FROM inbox_settings WHERE workspace_id = $1",
        )
        .bind(ws)
        .fetch_optional(self.conn())
        .await?;
        Ok(minutes.unwrap_or(30).max(0) * 60_000)
    }

    /// Silences the bot in a conversation until `until` (a later pause
    /// already set stands).
    pub async fn pause_bot(&mut self, conv: ConversationId, until: i64) -> Result<()> {
        let ws = self.workspace_id();
        sqlx::query(
            "UPDATE conversations SET paused_until = CASE WHEN paused_until IS NULL OR paused_until < $1 \
             THEN $1 ELSE paused_until END, updated_at = $2 WHERE workspace_id = $3 AND id = $4",
        )
        .bind(until)
        .bind(now_ms())
        .bind(ws)
        .bind(conv)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Whether `user` is a member of this workspace.
    pub async fn is_member(&mut self, user: UserId) -> Result<bool> {
        let ws = self.workspace_id();
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT user_id FROM memberships WHERE workspace_id = $1 AND user_id = $2",
        )
        .bind(ws)
        .bind(user)
        .fetch_optional(self.conn())
        .await?;
        Ok(row.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("Ana"), "%ana%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
