//! Orders: placed once per key, scoped to their workspace, moved along
//! their state machine.

use super::{Shop, conversation, open_shop, shop_with_ana};
use crate::common::{Db, TestDb, count};
use app::commerce::{CartLine, Currency, Money, NewOrder, OrderStatus, PaymentMethod, Product};
use server::store::{
    ConversationId, OrderEventRow, OrderId, OrderRow, StatusChange, Store, WorkspaceId,
};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::parse("EUR").unwrap())
}

fn new_order(key: &str, sku: &str, qty: u32) -> NewOrder {
    NewOrder {
        key: key.to_string(),
        lines: vec![CartLine {
            sku: sku.to_string(),
            name: "Runner".to_string(),
            qty,
            unit_price: eur(8990),
        }],
        total: eur(8990 * i64::from(qty)),
        payment: PaymentMethod::CashOnDelivery,
        details: [("name".to_string(), "Ana".to_string())].into(),
    }
}

async fn place(
    s: &Store,
    shop: &Shop,
    conv: ConversationId,
    order: &NewOrder,
    token: &str,
) -> (OrderRow, bool) {
    let mut tx = s.workspace(shop.ws).transaction().await.unwrap();
    let placed = tx.place_order(shop.bot, conv, order, token).await.unwrap();
    tx.commit().await.unwrap();
    placed
}

async fn runner_with_stock(s: &Store, ws: WorkspaceId, stock: u32) {
    s.workspace(ws)
        .create_product(&Product {
            sku: "RUN-1".to_string(),
            name: "Runner".to_string(),
            description: String::new(),
            price: eur(8990),
            image_url: None,
            stock: Some(stock),
            active: true,
            collections: Vec::new(),
        })
        .await
        .unwrap();
}

/// Moves an order to `to` as `actor`, with a note.
async fn set_status(
    s: &Store,
    ws: WorkspaceId,
    id: OrderId,
    to: OrderStatus,
    actor: &str,
    note: &str,
) -> StatusChange {
    s.workspace(ws)
        .set_order_status(id, to, actor, note)
        .await
        .unwrap()
}

/// An order's history.
async fn events(s: &Store, ws: WorkspaceId, id: OrderId) -> Vec<OrderEventRow> {
    s.workspace(ws).order_events(id).await.unwrap()
}

async fn stock_of(s: &Store, ws: WorkspaceId) -> Option<i64> {
    let products = s.workspace(ws).products(&Default::default()).await.unwrap();
    products
        .into_iter()
        .find(|p| p.sku == "RUN-1")
        .unwrap()
        .stock
}

pub(super) async fn an_order_key_places_one_order(db: Db) {
    let (db, shop, ana) = shop_with_ana(db).await;
    let s = &db.store;
    runner_with_stock(s, shop.ws, 5).await;

    let (first, created) = place(s, &shop, ana, &new_order("k1", "RUN-1", 2), "page-1").await;
    assert!(created);
    assert_eq!(first.status, OrderStatus::Placed);
    assert_eq!(first.total_minor, 2 * 8990);
    assert_eq!(first.currency, "EUR");
    assert_eq!(first.conversation_id, Some(ana));
    assert_eq!(first.details()["name"], "Ana");
    assert_eq!(first.stock_taken(), vec![("RUN-1".to_string(), 2)]);
    assert_eq!(stock_of(s, shop.ws).await, Some(3));

    // The same key again (a replayed event): the stored order, nothing taken.
    let (again, created) = place(s, &shop, ana, &new_order("k1", "RUN-1", 2), "page-2").await;
    assert!(!created);
    assert_eq!((again.id, again.number), (first.id, first.number));
    assert_eq!(again.page_token, "page-1");
    assert_eq!(stock_of(s, shop.ws).await, Some(3));
    assert_eq!(count(s, "orders").await, 1);
    assert_eq!(events(s, shop.ws, first.id).await.len(), 1);

    // A new key is a new order with the next number; it takes what is left
    // and says so.
    let (second, created) = place(s, &shop, ana, &new_order("k2", "RUN-1", 4), "page-3").await;
    assert!(created);
    assert_eq!(second.number, first.number + 1);
    assert_eq!(second.stock_taken(), vec![("RUN-1".to_string(), 3)]);
    assert_eq!(stock_of(s, shop.ws).await, Some(0));
    let placed = &events(s, shop.ws, second.id).await[0];
    assert!(placed.note.contains("Runner"), "{:?}", placed.note);

    // Keys and numbers belong to a workspace.
    let other = open_shop(s, "b@example.com").await;
    let bob = conversation(s, &other, "bob").await;
    let (theirs, created) = place(s, &other, bob, &new_order("k1", "RUN-1", 1), "page-4").await;
    assert!(created);
    assert_ne!(theirs.id, first.id);
    assert_eq!(theirs.number, first.number);
    assert_eq!(
        s.workspace(shop.ws)
            .conversation_orders(ana)
            .await
            .unwrap()
            .iter()
            .map(|o| o.id)
            .collect::<Vec<_>>(),
        vec![second.id, first.id]
    );
}

pub(super) async fn orders_are_scoped_to_their_workspace(db: Db) {
    let db = TestDb::new(db).await;
    let s = &db.store;
    let a = open_shop(s, "a@example.com").await;
    let b = open_shop(s, "b@example.com").await;
    let ana = conversation(s, &a, "ana").await;
    let (order, _) = place(s, &a, ana, &new_order("k1", "RUN-1", 1), "secret-page").await;

    assert!(s.workspace(b.ws).order(order.id).await.unwrap().is_none());
    assert!(
        s.workspace(b.ws)
            .orders(None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(events(s, b.ws, order.id).await.is_empty());
    assert!(
        s.workspace(b.ws)
            .conversation_orders(ana)
            .await
            .unwrap()
            .is_empty()
    );
    let change = set_status(s, b.ws, order.id, OrderStatus::Paid, "intruder", "").await;
    assert!(matches!(change, StatusChange::Missing), "{change:?}");
    assert_eq!(
        s.workspace(a.ws)
            .order(order.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        OrderStatus::Placed
    );
    assert_eq!(events(s, a.ws, order.id).await.len(), 1);

    // The page token is the capability: it finds the order and its tenant.
    let (ws, found) = s.order_by_token("secret-page").await.unwrap().unwrap();
    assert_eq!((ws, found.id), (a.ws, order.id));
    assert!(s.order_by_token("guessed").await.unwrap().is_none());
    assert_eq!(
        s.workspace(a.ws)
            .orders(None, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub(super) async fn order_status_follows_the_state_machine(db: Db) {
    let (db, shop, ana) = shop_with_ana(db).await;
    let s = &db.store;
    runner_with_stock(s, shop.ws, 5).await;
    let (order, _) = place(s, &shop, ana, &new_order("k1", "RUN-1", 2), "page-1").await;

    let refused = set_status(s, shop.ws, order.id, OrderStatus::Fulfilled, "ana@x", "").await;
    assert!(matches!(refused, StatusChange::Illegal(_)), "{refused:?}");
    assert_eq!(events(s, shop.ws, order.id).await.len(), 1);

    let paid = set_status(s, shop.ws, order.id, OrderStatus::Paid, "ana@x", "cash").await;
    let StatusChange::Changed(paid) = paid else {
        panic!("not changed: {paid:?}")
    };
    assert_eq!(paid.status, OrderStatus::Paid);
    assert!(paid.updated_at >= order.updated_at);
    let history: Vec<(Option<String>, String, String)> = events(s, shop.ws, order.id)
        .await
        .into_iter()
        .map(|e| {
            (
                e.from_status.map(|s| s.as_str().to_string()),
                e.to_status.as_str().to_string(),
                e.actor,
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            (None, "placed".to_string(), "bot".to_string()),
            (
                Some("placed".to_string()),
                "paid".to_string(),
                "ana@x".to_string()
            ),
        ]
    );
    let of = |st| s.workspace(shop.ws).orders(Some(st), None, 10);
    assert_eq!(of(OrderStatus::Paid).await.unwrap().len(), 1);
    assert!(of(OrderStatus::Placed).await.unwrap().is_empty());
    // Paid orders are refunded, not cancelled.
    let cancel = set_status(s, shop.ws, order.id, OrderStatus::Cancelled, "ana@x", "").await;
    assert!(matches!(cancel, StatusChange::Illegal(_)), "{cancel:?}");
    assert_eq!(stock_of(s, shop.ws).await, Some(3));

    // Cancelling a placed order gives its stock back, once.
    let (other, _) = place(s, &shop, ana, &new_order("k2", "RUN-1", 1), "page-2").await;
    assert_eq!(stock_of(s, shop.ws).await, Some(2));
    let done = set_status(s, shop.ws, other.id, OrderStatus::Cancelled, "ana@x", "").await;
    assert!(matches!(done, StatusChange::Changed(_)), "{done:?}");
    assert_eq!(stock_of(s, shop.ws).await, Some(3));
    let twice = set_status(s, shop.ws, other.id, OrderStatus::Cancelled, "ana@x", "").await;
    assert!(matches!(twice, StatusChange::Illegal(_)), "{twice:?}");
    assert_eq!(stock_of(s, shop.ws).await, Some(3));
}
