//! Orders and their status history.

use app::commerce::{Cart, CartLine, Currency, IllegalTransition, Money, NewOrder, OrderStatus};
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::Workspace;
use super::{
    BotId, ConversationId, OrderId, Result, SqlTx, Store, StoreError, WorkspaceId, now_ms,
};

/// An order as stored.
#[derive(Debug, Clone, FromRow)]
pub struct OrderRow {
    /// Id.
    pub id: OrderId,
    /// The number shown to people (1001, 1002, …).
    pub number: i64,
    /// Idempotency key.
    pub idem_key: String,
    /// The bot that took it.
    pub bot_id: Option<BotId>,
    /// The conversation it came from.
    pub conversation_id: Option<ConversationId>,
    /// Where it is in its life.
    #[sqlx(try_from = "String")]
    pub status: OrderStatus,
    /// Payment method name.
    pub payment: String,
    /// Total in minor units.
    pub total_minor: i64,
    /// Currency code.
    pub currency: String,
    /// JSON array of cart lines.
    pub lines: String,
    /// JSON object of collected details.
    pub details: String,
    /// The secret of the hosted order page.
    pub page_token: String,
    /// Placed at.
    pub created_at: i64,
    /// Last changed at.
    pub updated_at: i64,
}

impl OrderRow {
    /// The total.
    pub fn total(&self) -> Money {
        Money::new(
            self.total_minor,
            Currency::parse(&self.currency).unwrap_or(Currency::XXX),
        )
    }

    /// The lines (without those stock ran out of entirely).
    pub fn lines(&self) -> Vec<CartLine> {
        let lines: Vec<CartLine> = serde_json::from_str(&self.lines).unwrap_or_default();
        lines.into_iter().filter(|l| l.qty > 0).collect()
    }

    /// The lines that got fewer units than the shopper ordered because
    /// tracked stock ran out: (name, ordered, got).
    pub fn shortfalls(&self) -> Vec<(String, u32, u32)> {
        let lines: Vec<StoredLine> = serde_json::from_str(&self.lines).unwrap_or_default();
        lines
            .into_iter()
            .filter_map(|l| l.ordered.map(|ordered| (l.line.name, ordered, l.line.qty)))
            .collect()
    }

    /// The collected details.
    pub fn details(&self) -> std::collections::BTreeMap<String, String> {
        serde_json::from_str(&self.details).unwrap_or_default()
    }

    /// Units taken from tracked stock per SKU when the order was placed:
    /// what cancelling gives back. Orders stored before this was recorded
    /// count their full quantity.
    pub fn stock_taken(&self) -> Vec<(String, u32)> {
        let lines: Vec<StoredLine> = serde_json::from_str(&self.lines).unwrap_or_default();
        lines
            .into_iter()
            .map(|l| (l.line.sku, l.stock_taken.unwrap_or(l.line.qty)))
            .collect()
    }
}

/// An order line as stored: the cart line (its quantity what the shopper
/// gets), the units taken from tracked stock (none when the product's
/// stock is not tracked), and, when stock ran out, what was ordered.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct StoredLine {
    #[serde(flatten)]
    line: CartLine,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stock_taken: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ordered: Option<u32>,
}

/// One status change.
#[derive(Debug, Clone)]
pub struct OrderEventRow {
    /// From (none for the placement).
    pub from_status: Option<OrderStatus>,
    /// To.
    pub to_status: OrderStatus,
    /// Who: "bot", a user's email, or a token name.
    pub actor: String,
    /// A note.
    pub note: String,
    /// When.
    pub created_at: i64,
}

/// Read by hand: the derive's `try_from` cannot map the nullable
/// `from_status`, so both statuses go through `OrderStatus`'s `TryFrom`
/// here, an unknown name being a decoding error as with the derive.
impl<'r> FromRow<'r, AnyRow> for OrderEventRow {
    fn from_row(row: &'r AnyRow) -> sqlx::Result<OrderEventRow> {
        let status = |column: &str, name: String| {
            OrderStatus::try_from(name).map_err(|e| sqlx::Error::ColumnDecode {
                index: column.to_string(),
                source: Box::new(e),
            })
        };
        let from: Option<String> = row.try_get("from_status")?;
        Ok(OrderEventRow {
            from_status: from.map(|f| status("from_status", f)).transpose()?,
            to_status: status("to_status", row.try_get("to_status")?)?,
            actor: row.try_get("actor")?,
            note: row.try_get("note")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

const COLUMNS: &str = "id, number, idem_key, bot_id, conversation_id, status, payment, total_minor, currency, \
                       lines, details, page_token, created_at, updated_at";

/// Why a status change was refused.
#[derive(Debug)]
pub enum StatusChange {
    /// Done; the updated order.
    Changed(Box<OrderRow>),
    /// The state machine forbids it.
    Illegal(IllegalTransition),
    /// No such order in the workspace.
    Missing,
}

impl Store {
    /// The order behind a hosted order page. The token is the capability,
    /// so this lookup is not scoped by workspace; it returns the workspace.
    pub async fn order_by_token(&self, token: &str) -> Result<Option<(WorkspaceId, OrderRow)>> {
        let ws: Option<WorkspaceId> =
            sqlx::query_scalar("SELECT workspace_id FROM orders WHERE page_token = $1")
                .bind(token)
                .fetch_optional(&self.readers)
                .await?;
        let Some(ws) = ws else { return Ok(None) };
        let row: Option<OrderRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM orders WHERE workspace_id = $1 AND page_token = $2"
        ))
        .bind(ws)
        .bind(token)
        .fetch_optional(&self.readers)
        .await?;
        Ok(row.map(|r| (ws, r)))
    }
}

impl Workspace<'_> {
    /// The workspace's orders, newest first.
    pub async fn orders(
        self,
        status: Option<OrderStatus>,
        before: Option<OrderId>,
        limit: i64,
    ) -> Result<Vec<OrderRow>> {
        let ws = self.ws;
        // Ids only grow, so "before this id" pages without gaps or repeats
        // however many orders arrive meanwhile.
        let before = before.map_or(i64::MAX, |b| b.0);
        let rows = match status {
            Some(s) => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM orders WHERE workspace_id = $1 AND status = $2 AND id < $3 \
                     ORDER BY id DESC LIMIT $4"
                ))
                .bind(ws)
                .bind(s.as_str())
                .bind(before)
                .bind(limit)
                .fetch_all(&self.readers)
                .await?
            }
            None => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM orders WHERE workspace_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
                ))
                .bind(ws)
                .bind(before)
                .bind(limit)
                .fetch_all(&self.readers)
                .await?
            }
        };
        Ok(rows)
    }

    /// One order.
    pub async fn order(self, id: OrderId) -> Result<Option<OrderRow>> {
        self.by_id("orders", COLUMNS, id).await
    }

    /// The status history of an order, oldest first.
    pub async fn order_events(self, id: OrderId) -> Result<Vec<OrderEventRow>> {
        let ws = self.ws;
        Ok(sqlx::query_as(
            "SELECT from_status, to_status, actor, note, created_at FROM order_events \
             WHERE workspace_id = $1 AND order_id = $2 ORDER BY id",
        )
        .bind(ws)
        .bind(id)
        .fetch_all(&self.readers)
        .await?)
    }

    /// Moves an order to `to` if the state machine allows it, recording who
    /// did it. Cancelling puts tracked stock back.
    pub async fn set_order_status(
        self,
        id: OrderId,
        to: OrderStatus,
        actor: &str,
        note: &str,
    ) -> Result<StatusChange> {
        let ws = self.ws;
        let mut tx = self.begin().await?;
        let lock = if self.backend == super::Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let row: Option<OrderRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM orders WHERE workspace_id = $1 AND id = $2{lock}"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(StatusChange::Missing);
        };
        let from = row.status;
        if let Err(e) = from.transition(to) {
            return Ok(StatusChange::Illegal(e));
        }
        let now = now_ms();
        sqlx::query(
            "UPDATE orders SET status = $1, updated_at = $2 WHERE workspace_id = $3 AND id = $4",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(ws)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, ws, id, Some(from), to, actor, note, now).await?;
        if to == OrderStatus::Cancelled {
            // Give back what the order took, not what it asked for.
            for (sku, units) in row.stock_taken() {
                if units == 0 {
                    continue;
                }
                sqlx::query(
                    "UPDATE products SET stock = stock + $1 WHERE workspace_id = $2 AND sku = $3 AND stock IS NOT NULL",
                )
                .bind(i64::from(units))
                .bind(ws)
                .bind(&sku)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(match self.order(id).await? {
            Some(r) => StatusChange::Changed(Box::new(r)),
            None => StatusChange::Missing,
        })
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "each argument is one column of the row it writes"
)]
async fn insert_event(
    tx: &mut SqlTx,
    ws: WorkspaceId,
    order: OrderId,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: &str,
    note: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO order_events (workspace_id, order_id, from_status, to_status, actor, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(ws)
    .bind(order)
    .bind(from.map(|f| f.as_str()))
    .bind(to.as_str())
    .bind(actor)
    .bind(note)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores an order once per idempotency key, inside the caller's
/// transaction. Returns the order and whether this call created it.
///
/// Tracked stock is taken. A line stock ran short of gets what is left,
/// and the total is what the shopper gets, so nobody pays for what they
/// will not receive; when nothing at all is left the order is stored
/// cancelled. Either way the order's history says what happened, and
/// [`OrderRow::shortfalls`] tells the conversation.
pub(super) async fn place_order(
    tx: &mut SqlTx,
    ws: WorkspaceId,
    bot: BotId,
    conversation: ConversationId,
    order: &NewOrder,
    page_token: &str,
) -> Result<(OrderRow, bool)> {
    let existing: Option<OrderRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM orders WHERE workspace_id = $1 AND idem_key = $2"
    ))
    .bind(ws)
    .bind(&order.key)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = existing {
        return Ok((row, false));
    }
    let number: i64 = sqlx::query_scalar(
        "UPDATE workspaces SET next_order_number = next_order_number + 1 WHERE id = $1 \
         RETURNING next_order_number - 1",
    )
    .bind(ws)
    .fetch_one(&mut **tx)
    .await?;
    let now = now_ms();
    let (stored, short) = take_stock(tx, ws, &order.lines).await?;
    let (status, total) = if short.is_empty() {
        (OrderStatus::Placed, order.total)
    } else {
        // What the shopper gets, summed as their cart was; fewer units of
        // the order's own prices cannot overflow where the order did not.
        let got = Cart {
            lines: stored.iter().map(|l| l.line.clone()).collect(),
        };
        let total = got
            .total()
            .ok()
            .flatten()
            .unwrap_or(Money::new(0, order.total.currency));
        let status = if got.lines.iter().all(|l| l.qty == 0) {
            OrderStatus::Cancelled
        } else {
            OrderStatus::Placed
        };
        (status, total)
    };
    let lines = serde_json::to_string(&stored).map_err(|e| StoreError::Config(e.to_string()))?;
    let details =
        serde_json::to_string(&order.details).map_err(|e| StoreError::Config(e.to_string()))?;
    let row: OrderRow = sqlx::query_as(&format!(
        "INSERT INTO orders (workspace_id, number, idem_key, bot_id, conversation_id, status, payment, \
         total_minor, currency, lines, details, page_token, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING {COLUMNS}"
    ))
    .bind(ws)
    .bind(number)
    .bind(&order.key)
    .bind(bot)
    .bind(conversation)
    .bind(status.as_str())
    .bind(order.payment.as_str())
    .bind(total.minor)
    .bind(total.currency.code())
    .bind(lines)
    .bind(details)
    .bind(page_token)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let note = if short.is_empty() {
        String::new()
    } else if status == OrderStatus::Cancelled {
        format!(
            "Nothing was left of {} when this order was placed: it was not placed, and nothing is owed.",
            short.join(", ")
        )
    } else {
        format!(
            "Stock ran short of {} when this order was placed: the order has what was left, and its total was reduced from {} to {}.",
            short.join(", "),
            order.total,
            total
        )
    };
    insert_event(tx, ws, row.id, None, status, "bot", &note, now).await?;
    Ok((row, true))
}

/// Takes tracked stock for each line, as much as there is, and remembers
/// how much; answers the lines to store (a short line reduced to what was
/// taken, with what was ordered) and the names of those that ran short.
/// Products not tracked, or gone from the catalog, take nothing.
async fn take_stock(
    tx: &mut SqlTx,
    ws: WorkspaceId,
    lines: &[CartLine],
) -> Result<(Vec<StoredLine>, Vec<String>)> {
    let mut stored = Vec::with_capacity(lines.len());
    let mut short = Vec::new();
    for line in lines {
        // A no-op update locks the row (on PostgreSQL; SQLite's transaction
        // already holds the write lock) and reads the stock.
        let stock: Option<Option<i64>> = sqlx::query_scalar(
            "UPDATE products SET stock = stock WHERE workspace_id = $1 AND sku = $2 RETURNING stock",
        )
        .bind(ws)
        .bind(&line.sku)
        .fetch_optional(&mut **tx)
        .await?;
        let mut line = line.clone();
        let mut ordered = None;
        let taken = match stock {
            Some(Some(on_hand)) => {
                let taken = on_hand.clamp(0, i64::from(line.qty));
                sqlx::query(
                    "UPDATE products SET stock = stock - $1 WHERE workspace_id = $2 AND sku = $3",
                )
                .bind(taken)
                .bind(ws)
                .bind(&line.sku)
                .execute(&mut **tx)
                .await?;
                let taken = u32::try_from(taken).unwrap_or(0);
                if taken < line.qty {
                    short.push(line.name.clone());
                    ordered = Some(line.qty);
                    line.qty = taken;
                }
                taken
            }
            _ => 0,
        };
        stored.push(StoredLine {
            line,
            stock_taken: Some(taken),
            ordered,
        });
    }
    Ok((stored, short))
}
