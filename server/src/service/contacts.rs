//! Contacts: list, search, tags and attributes, CSV exports.
//!
//! Everyone in a workspace reads contacts; agents, editors and owners
//! change their tags, attributes and opt-out. The exports stream: they read
//! [`EXPORT_PAGE`] rows at a time by id and write each page as it comes,
//! so no export holds the whole table and none is capped.

use std::collections::HashMap;

use app::commerce::csv::write_record;
use app::commerce::{Currency, Money, OrderStatus};
use app::contacts::{
    ContactConversation, ContactDetail, ContactPage, ContactSummary, ContactTotal,
    apply_attributes, clean_tags,
};
use app::model::{ErrorCode, Principal, Role};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{order_summary, require, tenant, workspace};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{ContactFilter, ContactId, ContactRow, ContactTotalRow, Store, WorkspaceId};

/// Contacts on one page of the list.
const CONTACTS_PAGE: i64 = 50;
/// Rows an export reads at a time.
pub const EXPORT_PAGE: i64 = 500;

/// The contact list's filters, as query parameters.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Words in the name, phone, shopper id or attribute values (an email).
    pub q: Option<String>,
    /// Only contacts with this tag (ignoring case).
    pub tag: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `PATCH /api/v1/contacts/{id}`: each part optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ContactChange {
    /// The tags, replacing the current ones: trimmed, repeats dropped, at
    /// most 50 of at most 64 characters.
    pub tags: Option<Vec<String>>,
    /// Attributes to set (a string of at most 1000 characters) or remove
    /// (`null`); keys are 1 to 40 of `a-z`, `0-9` and `_`; at most 100.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// The shopper asked not to be messaged.
    pub opted_out: Option<bool>,
}

/// The totals of each contact, per currency.
fn totals_by_contact(rows: Vec<ContactTotalRow>) -> HashMap<ContactId, Vec<ContactTotal>> {
    let mut out: HashMap<ContactId, Vec<ContactTotal>> = HashMap::new();
    for r in rows {
        let money = Money::new(
            r.total_minor,
            Currency::parse(&r.currency).unwrap_or(Currency::XXX),
        );
        out.entry(r.contact_id).or_default().push(ContactTotal {
            currency: r.currency,
            orders: r.orders,
            total: money.decimal(),
            total_label: money.to_string(),
        });
    }
    out
}

fn contact_summary(row: &ContactRow, totals: Vec<ContactTotal>) -> ContactSummary {
    ContactSummary {
        id: row.id.0,
        channel: row.channel.clone(),
        external_user: row.external_user.clone(),
        name: row.name.clone(),
        phone: row.phone.clone(),
        tags: row.tag_list(),
        attributes: row.attribute_map(),
        opted_out: row.opted_out != 0,
        first_seen: row.first_seen,
        last_seen: row.last_seen,
        orders: totals.iter().map(|t| t.orders).sum(),
        totals,
    }
}

/// One page of the workspace's contacts, most recently seen first.
pub async fn list_contacts(
    state: &AppState,
    p: &Principal,
    query: &ContactQuery,
) -> ApiResult<ContactPage> {
    let some = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| v.chars().take(200).collect::<String>())
    };
    let after = match some(&query.cursor) {
        None => None,
        Some(c) => Some(crate::service::desk::parse_cursor(&c).ok_or_else(|| {
            ApiError::invalid(
                ErrorCode::InvalidQuery,
                "The cursor is not one this list gave; start again without it.",
            )
        })?),
    };
    let filter = ContactFilter {
        q: some(&query.q),
        tag: some(&query.tag),
        after,
        limit: CONTACTS_PAGE + 1,
    };
    let t = tenant(state, p);
    let mut rows = t.contacts_page(&filter).await?;
    let more = rows.len() as i64 > CONTACTS_PAGE;
    rows.truncate(CONTACTS_PAGE as usize);
    let ids: Vec<ContactId> = rows.iter().map(|r| r.id).collect();
    let mut totals = totals_by_contact(t.contact_totals(&ids).await?);
    let next_cursor = if more {
        rows.last()
            .map(|r| crate::service::desk::cursor_after(r.last_seen, r.id.0))
    } else {
        None
    };
    Ok(ContactPage {
        contacts: rows
            .iter()
            .map(|r| contact_summary(r, totals.remove(&r.id).unwrap_or_default()))
            .collect(),
        next_cursor,
    })
}

/// A contact with its conversations and latest orders.
pub async fn get_contact(
    state: &AppState,
    p: &Principal,
    id: ContactId,
) -> ApiResult<ContactDetail> {
    let t = tenant(state, p);
    let row = t
        .contact(id)
        .await?
        .ok_or_else(|| ApiError::not_found("contact"))?;
    let totals = totals_by_contact(t.contact_totals(&[id]).await?)
        .remove(&id)
        .unwrap_or_default();
    let conversations = t
        .contact_conversations(id)
        .await?
        .into_iter()
        .map(
            |(cid, bot, bot_name, status, updated_at)| ContactConversation {
                id: cid.0,
                bot_id: bot.0,
                bot_name,
                status,
                updated_at,
            },
        )
        .collect();
    let orders = t
        .contact_orders(id, 20)
        .await?
        .iter()
        .map(order_summary)
        .collect();
    Ok(ContactDetail {
        contact: contact_summary(&row, totals),
        conversations,
        orders,
        can_edit: p.can(Role::Agent),
    })
}

/// Changes a contact's tags, attributes or opt-out; a 422 says which part
/// is wrong, and then nothing changes.
pub async fn update_contact(
    state: &AppState,
    p: &Principal,
    id: ContactId,
    change: ContactChange,
) -> ApiResult<ContactDetail> {
    require(p, Role::Agent, "change contacts")?;
    let tags = match &change.tags {
        Some(t) => Some(clean_tags(t).map_err(|m| ApiError::invalid(ErrorCode::InvalidBody, m))?),
        None => None,
    };
    let edited = tenant(state, p)
        .edit_contact(id, |row| {
            if let Some(tags) = &tags {
                row.tags = serde_json::to_string(tags).unwrap_or_else(|_| "[]".into());
            }
            if let Some(changes) = &change.attributes {
                let merged = apply_attributes(&row.attribute_map(), changes)?;
                row.attributes = serde_json::to_string(&merged).unwrap_or_else(|_| "{}".into());
            }
            if let Some(out) = change.opted_out {
                row.opted_out = i64::from(out);
            }
            Ok::<(), String>(())
        })
        .await?;
    match edited {
        None => Err(ApiError::not_found("contact")),
        Some(Err(m)) => Err(ApiError::invalid(ErrorCode::InvalidBody, m)),
        Some(Ok(_)) => {
            state.engine.live().notify_workspace(workspace(p));
            get_contact(state, p, id).await
        }
    }
}

/// A timestamp in milliseconds as ISO 8601 in UTC (`2026-12-02T19:44:33Z`).
fn iso_time(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.replace_nanosecond(0)
                .ok()?
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Which export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// `contacts.csv`.
    Contacts,
    /// `orders.csv`.
    Orders,
}

impl Export {
    /// The file's name.
    pub fn file_name(self) -> &'static str {
        match self {
            Export::Contacts => "contacts.csv",
            Export::Orders => "orders.csv",
        }
    }

    fn header(self) -> &'static [&'static str] {
        match self {
            Export::Contacts => &[
                "id",
                "name",
                "channel",
                "phone",
                "shopper_id",
                "first_seen",
                "last_seen",
                "orders",
                "totals",
                "tags",
                "attributes",
                "opted_out",
            ],
            Export::Orders => &[
                "number",
                "date",
                "status",
                "shopper",
                "phone",
                "channel",
                "lines",
                "total",
                "currency",
                "payment",
                "payment_status",
            ],
        }
    }
}

/// Where an export stands between pages.
struct Cursor {
    store: Store,
    ws: WorkspaceId,
    export: Export,
    after: i64,
    header: bool,
    done: bool,
}

impl Cursor {
    /// The next chunk of the file: the header, then one page of rows;
    /// `None` at the end.
    async fn next_chunk(&mut self) -> Result<Option<String>, crate::store::StoreError> {
        if self.done {
            return Ok(None);
        }
        let mut out = String::new();
        if !self.header {
            self.header = true;
            // A byte-order mark, so spreadsheets read the file as UTF-8.
            out.push('\u{feff}');
            write_record(&mut out, self.export.header());
        }
        let t = self.store.workspace(self.ws);
        let count = match self.export {
            Export::Contacts => {
                let rows = t.contacts_after(self.after, EXPORT_PAGE).await?;
                let ids: Vec<ContactId> = rows.iter().map(|r| r.id).collect();
                let mut totals = totals_by_contact(t.contact_totals(&ids).await?);
                for r in &rows {
                    let s = contact_summary(r, totals.remove(&r.id).unwrap_or_default());
                    let totals = s
                        .totals
                        .iter()
                        .map(|t| format!("{} {}", t.currency, t.total))
                        .collect::<Vec<_>>()
                        .join("; ");
                    let attributes = s
                        .attributes
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join("; ");
                    write_record(
                        &mut out,
                        &[
                            s.id.to_string(),
                            s.name,
                            s.channel,
                            s.phone,
                            s.external_user,
                            iso_time(s.first_seen),
                            iso_time(s.last_seen),
                            s.orders.to_string(),
                            totals,
                            s.tags.join("; "),
                            attributes,
                            if s.opted_out { "yes" } else { "no" }.to_string(),
                        ],
                    );
                }
                if let Some(last) = rows.last() {
                    self.after = last.id.0;
                }
                rows.len()
            }
            Export::Orders => {
                let rows = t.orders_after(self.after, EXPORT_PAGE).await?;
                for r in &rows {
                    let o = &r.order;
                    let lines = o
                        .lines()
                        .iter()
                        .map(|l| format!("{} × {} ({})", l.qty, l.name, l.sku))
                        .collect::<Vec<_>>()
                        .join("; ");
                    let shopper = r
                        .shopper
                        .clone()
                        .filter(|s| !s.is_empty())
                        .or_else(|| o.details().get("name").cloned())
                        .unwrap_or_default();
                    let paid = match o.status {
                        OrderStatus::Paid | OrderStatus::Fulfilled => "paid",
                        OrderStatus::Refunded => "refunded",
                        OrderStatus::Cancelled => "cancelled",
                        OrderStatus::Placed => "unpaid",
                    };
                    write_record(
                        &mut out,
                        &[
                            o.number.to_string(),
                            iso_time(o.created_at),
                            o.status.as_str().to_string(),
                            shopper,
                            r.phone.clone().unwrap_or_default(),
                            r.channel.clone().unwrap_or_default(),
                            lines,
                            o.total().decimal(),
                            o.currency.clone(),
                            o.payment.clone(),
                            paid.to_string(),
                        ],
                    );
                }
                if let Some(last) = rows.last() {
                    self.after = last.order.id.0;
                }
                rows.len()
            }
        };
        if (count as i64) < EXPORT_PAGE {
            self.done = true;
        }
        Ok(Some(out))
    }
}

/// An export of the workspace's contacts or orders, as a stream of CSV
/// chunks: the header row, then one chunk per [`EXPORT_PAGE`] rows. Cells
/// a spreadsheet would run as formulas get a `'` in front (see
/// [`write_record`]). A database failure midway ends the stream with an
/// error, which cuts the download short rather than ending it cleanly.
pub fn export_csv(
    state: &AppState,
    p: &Principal,
    export: Export,
) -> impl futures_util::Stream<Item = Result<String, std::io::Error>> + Send + 'static {
    let cursor = Cursor {
        store: state.store.clone(),
        ws: workspace(p),
        export,
        after: 0,
        header: false,
        done: false,
    };
    futures_util::stream::unfold(cursor, |mut c| async move {
        match c.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk), c)),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "CSV export failed");
                c.done = true;
                Some((Err(std::io::Error::other("the export failed")), c))
            }
        }
    })
}

/// The contact page's form: tags as one comma-separated line, attributes
/// one `key = value` a line (replacing them all), and opted out.
pub async fn update_contact_from_form(
    state: &AppState,
    p: &Principal,
    id: ContactId,
    tags: &str,
    attributes: &str,
    opted_out: bool,
) -> ApiResult<ContactDetail> {
    require(p, Role::Agent, "change contacts")?;
    let current = tenant(state, p)
        .contact(id)
        .await?
        .ok_or_else(|| ApiError::not_found("contact"))?;
    let mut changes = app::contacts::parse_attribute_lines(attributes)
        .map_err(|m| ApiError::invalid(ErrorCode::InvalidBody, m))?;
    for key in current.attribute_map().keys() {
        changes
            .entry(key.clone())
            .or_insert(serde_json::Value::Null);
    }
    let change = ContactChange {
        tags: Some(tags.split(',').map(str::to_string).collect()),
        attributes: Some(changes),
        opted_out: Some(opted_out),
    };
    update_contact(state, p, id, change).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_iso() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
    }
}
