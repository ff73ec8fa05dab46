//! Contacts: one per shopper per channel of a workspace, with tags and
//! attributes (issue 12, contacts).
//!
//! A contact is made, or found, when a conversation is created (or first
//! loaded, for conversations older than contacts), inside the turn's
//! transaction: [`WorkspaceTx::conversation_with_contact`]. A turn on a
//! conversation that has its contact reads it with the conversation, in the
//! same statement. `last_seen` is stored, to the minute: a turn writes it
//! only when it moved by more than [`LAST_SEEN_STEP_MS`] (or the profile
//! name or phone changed), so most turns add no statement. Orders per
//! contact are not stored: they are summed at read time from the orders of
//! the contact's conversations.

use std::collections::BTreeMap;

use app::channel::Channel;
use app::flow::interpreter::{Contact, Effect};
use sqlx::FromRow;

use super::{
    Backend, ContactId, ConversationId, OrderRow, Result, Workspace, WorkspaceId, WorkspaceTx,
    now_ms,
};

/// How far `last_seen` may lag behind the shopper's last message before a
/// turn writes it again.
pub const LAST_SEEN_STEP_MS: i64 = 60_000;

/// A contact as stored.
#[derive(Debug, Clone, FromRow)]
pub struct ContactRow {
    /// Id.
    pub id: ContactId,
    /// The channel kind.
    pub channel: String,
    /// The shopper's id on that channel.
    pub external_user: String,
    /// The profile name.
    pub name: String,
    /// The phone number (WhatsApp).
    pub phone: String,
    /// JSON array of strings.
    pub tags: String,
    /// JSON object of strings.
    pub attributes: String,
    /// 1 when the shopper opted out.
    pub opted_out: i64,
    /// First seen at.
    pub first_seen: i64,
    /// Last seen at (to the minute).
    pub last_seen: i64,
}

impl ContactRow {
    /// The tags.
    pub fn tag_list(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }

    /// The attributes.
    pub fn attribute_map(&self) -> BTreeMap<String, String> {
        serde_json::from_str(&self.attributes).unwrap_or_default()
    }
}

const CONTACT_COLUMNS: &str =
    "id, channel, external_user, name, phone, tags, attributes, opted_out, first_seen, last_seen";

/// What the flow knows of a contact, from its stored parts.
pub(super) fn flow_contact(
    channel: Channel,
    name: String,
    phone: String,
    tags: &str,
    attributes: &str,
) -> Contact {
    Contact {
        name,
        phone,
        channel: channel.as_str().to_string(),
        tags: serde_json::from_str(tags).unwrap_or_default(),
        attributes: serde_json::from_str(attributes).unwrap_or_default(),
    }
}

/// The contact of a shopper, made when missing (its name and phone kept
/// when the new ones are empty), and attached to conversation `conv`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn attach_contact(
    conn: &mut sqlx::AnyConnection,
    ws: WorkspaceId,
    conv: ConversationId,
    channel: Channel,
    external_user: &str,
    name: &str,
    phone: &str,
    first_seen: i64,
) -> Result<(ContactId, Contact)> {
    let now = now_ms();
    let (id, name, phone, tags, attributes): (ContactId, String, String, String, String) =
        sqlx::query_as(
            "INSERT INTO contacts (workspace_id, channel, external_user, name, phone, first_seen, last_seen) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (workspace_id, channel, external_user) DO UPDATE SET \
             name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END, \
             phone = CASE WHEN excluded.phone <> '' THEN excluded.phone ELSE contacts.phone END, \
             first_seen = CASE WHEN excluded.first_seen < contacts.first_seen THEN excluded.first_seen \
                 ELSE contacts.first_seen END, \
             last_seen = CASE WHEN excluded.last_seen > contacts.last_seen THEN excluded.last_seen \
                 ELSE contacts.last_seen END \
             RETURNING id, name, phone, tags, attributes",
        )
        .bind(ws)
        .bind(channel.as_str())
        .bind(external_user)
        .bind(name)
        .bind(phone)
        .bind(first_seen.min(now))
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query("UPDATE conversations SET contact_id = $1 WHERE workspace_id = $2 AND id = $3")
        .bind(id)
        .bind(ws)
        .bind(conv)
        .execute(&mut *conn)
        .await?;
    Ok((id, flow_contact(channel, name, phone, &tags, &attributes)))
}

/// Moves a contact's `last_seen` to now, and takes a new profile name or
/// phone when the channel gives one.
pub(super) async fn touch_contact(
    conn: &mut sqlx::AnyConnection,
    ws: WorkspaceId,
    id: ContactId,
    name: &str,
    phone: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE contacts SET last_seen = $1, \
         name = CASE WHEN $2 <> '' THEN $2 ELSE name END, \
         phone = CASE WHEN $3 <> '' THEN $3 ELSE phone END \
         WHERE workspace_id = $4 AND id = $5",
    )
    .bind(now_ms())
    .bind(name)
    .bind(phone)
    .bind(ws)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl WorkspaceTx {
    /// Applies what a flow wrote to a contact ([`Effect::SetContact`],
    /// [`Effect::TagContact`]) to what is stored now, in one read (locking
    /// the row on PostgreSQL: another bot's turn or a member may change the
    /// same contact) and, when something changed, one write.
    pub async fn apply_contact_effects(&mut self, id: ContactId, effects: &[Effect]) -> Result<()> {
        if !effects
            .iter()
            .any(|e| matches!(e, Effect::SetContact { .. } | Effect::TagContact { .. }))
        {
            return Ok(());
        }
        let ws = self.workspace_id();
        let conn = self.conn();
        let lock = if conn.backend_name() == "PostgreSQL" {
            " FOR UPDATE"
        } else {
            ""
        };
        let Some((tags, attributes)): Option<(String, String)> = sqlx::query_as(&format!(
            "SELECT tags, attributes FROM contacts WHERE workspace_id = $1 AND id = $2{lock}"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(());
        };
        let mut contact = Contact {
            tags: serde_json::from_str(&tags).unwrap_or_default(),
            attributes: serde_json::from_str(&attributes).unwrap_or_default(),
            ..Contact::default()
        };
        let mut changed = false;
        for e in effects {
            changed |= contact.apply(e);
        }
        if changed {
            sqlx::query(
                "UPDATE contacts SET tags = $1, attributes = $2 WHERE workspace_id = $3 AND id = $4",
            )
            .bind(serde_json::to_string(&contact.tags).unwrap_or_else(|_| "[]".into()))
            .bind(serde_json::to_string(&contact.attributes).unwrap_or_else(|_| "{}".into()))
            .bind(ws)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// The contact list's filters.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    /// Words in the name, phone, shopper id or attribute values.
    pub q: Option<String>,
    /// Only contacts with this tag (ignoring ASCII case).
    pub tag: Option<String>,
    /// After this (last seen, id), most recently seen first.
    pub after: Option<(i64, i64)>,
    /// Rows to return.
    pub limit: i64,
}

/// What a contact's orders add up to in one currency.
#[derive(Debug, Clone, FromRow)]
pub struct ContactTotalRow {
    /// The contact.
    pub contact_id: ContactId,
    /// ISO code.
    pub currency: String,
    /// How many orders.
    pub orders: i64,
    /// Their sum, in minor units.
    pub total_minor: i64,
}

/// An order with what the export says of its shopper.
#[derive(Debug, Clone, FromRow)]
pub struct OrderExportRow {
    /// The order.
    #[sqlx(flatten)]
    pub order: OrderRow,
    /// The conversation's channel, if it came from one.
    pub channel: Option<String>,
    /// The contact's or conversation's name for the shopper.
    pub shopper: Option<String>,
    /// The contact's phone.
    pub phone: Option<String>,
}

/// A `LIKE` pattern matching `text` anywhere, lowercased, with `%`, `_`
/// and `\` escaped (used with `ESCAPE '\'`).
fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Orders that count toward a contact's total.
const COUNTED: &str = "o.status NOT IN ('cancelled', 'refunded')";

impl Workspace<'_> {
    /// One page of contacts, most recently seen first.
    pub async fn contacts_page(self, f: &ContactFilter) -> Result<Vec<ContactRow>> {
        enum Arg {
            Int(i64),
            Text(String),
        }
        let mut args = vec![Arg::Int(self.ws.0)];
        let mut next = |a: Arg| {
            args.push(a);
            format!("${}", args.len())
        };
        let mut cond = String::from("workspace_id = $1");
        if let Some(q) = &f.q {
            let like = next(Arg::Text(like_pattern(q)));
            cond.push_str(&format!(
                " AND (LOWER(name) LIKE {like} ESCAPE '\\' OR LOWER(phone) LIKE {like} ESCAPE '\\' \
                 OR LOWER(external_user) LIKE {like} ESCAPE '\\' OR LOWER(attributes) LIKE {like} ESCAPE '\\')"
            ));
        }
        if let Some(tag) = &f.tag {
            let json = serde_json::to_string(tag.trim()).unwrap_or_default();
            let like = next(Arg::Text(like_pattern(&json)));
            cond.push_str(&format!(" AND LOWER(tags) LIKE {like} ESCAPE '\\'"));
        }
        if let Some((at, id)) = f.after {
            let a = next(Arg::Int(at));
            let i = next(Arg::Int(id));
            cond.push_str(&format!(
                " AND (last_seen < {a} OR (last_seen = {a} AND id < {i}))"
            ));
        }
        let limit = next(Arg::Int(f.limit));
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE {cond} \
             ORDER BY last_seen DESC, id DESC LIMIT {limit}"
        );
        let mut query = sqlx::query_as::<_, ContactRow>(&sql);
        for a in args {
            query = match a {
                Arg::Int(i) => query.bind(i),
                Arg::Text(t) => query.bind(t),
            };
        }
        Ok(query.fetch_all(&self.readers).await?)
    }

    /// Contacts by id, oldest first, after `after_id`: the export's pages.
    pub async fn contacts_after(self, after_id: i64, limit: i64) -> Result<Vec<ContactRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(self.ws)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.readers)
        .await?)
    }

    /// A contact of the workspace.
    pub async fn contact(self, id: ContactId) -> Result<Option<ContactRow>> {
        self.by_id("contacts", CONTACT_COLUMNS, id).await
    }

    /// The order counts and totals of these contacts, per currency, of
    /// orders not cancelled or refunded.
    pub async fn contact_totals(self, ids: &[ContactId]) -> Result<Vec<ContactTotalRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids
            .iter()
            .map(|i| i.0.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        Ok(sqlx::query_as(&format!(
            "SELECT v.contact_id AS contact_id, o.currency AS currency, COUNT(*) AS orders, \
             CAST(COALESCE(SUM(o.total_minor), 0) AS BIGINT) AS total_minor \
             FROM orders o JOIN conversations v ON v.id = o.conversation_id \
             WHERE o.workspace_id = $1 AND v.workspace_id = $1 AND v.contact_id IN ({list}) AND {COUNTED} \
             GROUP BY v.contact_id, o.currency ORDER BY v.contact_id, o.currency"
        ))
        .bind(self.ws)
        .fetch_all(&self.readers)
        .await?)
    }

    /// A contact's conversations, most recently active first: (id, bot,
    /// bot name, status, updated at).
    pub async fn contact_conversations(
        self,
        id: ContactId,
    ) -> Result<Vec<(ConversationId, super::BotId, String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.bot_id, b.name, c.status, c.updated_at FROM conversations c \
             JOIN bots b ON b.id = c.bot_id \
             WHERE c.workspace_id = $1 AND c.contact_id = $2 ORDER BY c.updated_at DESC, c.id DESC LIMIT 100",
        )
        .bind(self.ws)
        .bind(id)
        .fetch_all(&self.readers)
        .await?)
    }

    /// A contact's latest orders, newest first.
    pub async fn contact_orders(self, id: ContactId, limit: i64) -> Result<Vec<OrderRow>> {
        Ok(sqlx::query_as(
            "SELECT o.id, o.number, o.idem_key, o.bot_id, o.conversation_id, o.status, o.payment, \
             o.total_minor, o.currency, o.lines, o.details, o.page_token, o.created_at, o.updated_at \
             FROM orders o JOIN conversations v ON v.id = o.conversation_id \
             WHERE o.workspace_id = $1 AND v.workspace_id = $1 AND v.contact_id = $2 \
             ORDER BY o.id DESC LIMIT $3",
        )
        .bind(self.ws)
        .bind(id)
        .bind(limit)
        .fetch_all(&self.readers)
        .await?)
    }

    /// Orders by id, oldest first, after `after_id`, with their shopper:
    /// the export's pages.
    pub async fn orders_after(self, after_id: i64, limit: i64) -> Result<Vec<OrderExportRow>> {
        Ok(sqlx::query_as(
            "SELECT o.id, o.number, o.idem_key, o.bot_id, o.conversation_id, o.status, o.payment, \
             o.total_minor, o.currency, o.lines, o.details, o.page_token, o.created_at, o.updated_at, \
             v.channel AS channel, \
             CASE WHEN k.name IS NOT NULL AND k.name <> '' THEN k.name ELSE v.display_name END AS shopper, \
             k.phone AS phone \
             FROM orders o LEFT JOIN conversations v ON v.id = o.conversation_id \
             LEFT JOIN contacts k ON k.id = v.contact_id \
             WHERE o.workspace_id = $1 AND o.id > $2 ORDER BY o.id LIMIT $3",
        )
        .bind(self.ws)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.readers)
        .await?)
    }

    /// Changes a contact's tags, attributes or opt-out in one transaction:
    /// `edit` gets what is stored now and may refuse with its own error.
    /// `None` when the workspace has no such contact.
    pub async fn edit_contact<E>(
        self,
        id: ContactId,
        edit: impl FnOnce(&mut ContactRow) -> std::result::Result<(), E>,
    ) -> Result<Option<std::result::Result<ContactRow, E>>> {
        let mut tx = self.begin().await?;
        let lock = if self.backend == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let row: Option<ContactRow> = sqlx::query_as(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = $1 AND id = $2{lock}"
        ))
        .bind(self.ws)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(mut row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        if let Err(e) = edit(&mut row) {
            tx.rollback().await?;
            return Ok(Some(Err(e)));
        }
        sqlx::query(
            "UPDATE contacts SET tags = $1, attributes = $2, opted_out = $3 WHERE workspace_id = $4 AND id = $5",
        )
        .bind(&row.tags)
        .bind(&row.attributes)
        .bind(row.opted_out)
        .bind(self.ws)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(Ok(row)))
    }
}
