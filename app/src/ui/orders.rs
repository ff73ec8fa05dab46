//! The order pages: the list with a status filter, and one order with its
//! lines, the shopper's details, the status history and the allowed next
//! steps.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    Card, Empty, Loaded, WidePage, columns, format_time, list_table, param, with_can_edit,
};
use crate::commerce::OrderStatus;
use crate::server_fns::{get_order, list_orders};
use crate::views::{OrderDetail, OrderSummary};

fn status_badge(s: OrderStatus) -> impl IntoView {
    view! { <span class=format!("badge status-{}", s.as_str()) data-testid="order-status">{s.label()}</span> }
}

fn payment_label(p: &str) -> &'static str {
    match p {
        "cash_on_delivery" => "Cash on delivery",
        "order_page" => "Order page",
        _ => "Other",
    }
}

/// `/orders`.
#[component]
pub fn Orders() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.with(|q| q.get("status"));
    let cursor = move || query.with(|q| q.get("cursor"));
    let orders = Resource::new(move || (status(), cursor()), |(s, c)| list_orders(s, c));
    view! {
        <WidePage title="Orders">
            <h1>"Orders"</h1>
            <p class="actions"><a href="/api/v1/orders.csv" download="orders.csv" data-testid="orders-csv">"Export orders (CSV)"</a></p>
            <nav class="filters" aria-label="Filter by status">
                <a href="/orders" aria-current=move || status().is_none().then_some("page")>"All"</a>
                {OrderStatus::ALL
                    .into_iter()
                    .map(|s| {
                        view! {
                            <a
                                href=format!("/orders?status={}", s.as_str())
                                aria-current=move || (status().as_deref() == Some(s.as_str())).then_some("page")
                            >
                                {s.label()}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <Loaded data=orders loading="Loading orders…" let:page>
                {
                    let next = page.next_cursor.clone().map(|c| match status() {
                        Some(s) => format!("/orders?status={s}&cursor={c}"),
                        None => format!("/orders?cursor={c}"),
                    });
                    view! {
                        <OrderTable orders=page.orders />
                        {next.map(|href| view! {
                            <p class="paging"><a href=href data-testid="next-page">"Next page →"</a></p>
                        })}
                    }
                }
            </Loaded>
        </WidePage>
    }
}

#[component]
fn OrderTable(orders: Vec<OrderSummary>) -> impl IntoView {
    if orders.is_empty() {
        return view! {
            <Empty testid="no-orders" title="No orders here yet">
                "When shoppers check out in a chat, their orders appear here."
            </Empty>
        }
        .into_any();
    }
    let rows = orders
        .into_iter()
        .map(|o| {
            view! {
                <tr data-testid="order-row">
                    <td><a href=format!("/orders/{}", o.id)>{format!("#{}", o.number)}</a></td>
                    <td class="muted">{format_time(o.created_at)}</td>
                    <td>{o.customer.unwrap_or_else(|| "—".into())}</td>
                    <td>{o.items}</td>
                    <td>{o.total_label}</td>
                    <td>{status_badge(o.status)}</td>
                </tr>
            }
        })
        .collect_view();
    list_table(
        "order-list",
        columns(["Order", "Placed", "Customer", "Items", "Total", "Status"]),
        rows,
    )
    .into_any()
}

/// `/orders/{id}`.
#[component]
pub fn OrderView() -> impl IntoView {
    let id = param("id");
    let order = Resource::new(id, get_order);
    view! {
        <WidePage title="Order">
            <p class="crumbs"><a href="/orders">"Orders"</a> " › Order"</p>
            <Loaded
                data=with_can_edit(order)
                loading="Loading…"
                let((o, can_edit))
            >
                <OrderBody order=o can_edit />
            </Loaded>
        </WidePage>
    }
}

fn action_label(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Paid => "Mark as paid",
        OrderStatus::Fulfilled => "Mark as fulfilled",
        OrderStatus::Cancelled => "Cancel order",
        OrderStatus::Refunded => "Mark as refunded",
        OrderStatus::Placed => "Mark as placed",
    }
}

#[component]
fn OrderBody(order: OrderDetail, can_edit: bool) -> impl IntoView {
    let s = order.summary.clone();
    let id = s.id;
    let lines = view! {
        {order
            .lines
            .into_iter()
            .map(|l| {
                view! {
                    <tr>
                        <td>{l.name} " " <code class="muted">{l.sku}</code></td>
                        <td>{l.qty}</td>
                        <td>{l.unit_price}</td>
                        <td>{l.amount}</td>
                    </tr>
                }
            })
            .collect_view()}
        <tr class="total">
            <td colspan="3">"Total"</td>
            <td>{s.total_label.clone()}</td>
        </tr>
    };
    view! {
        <Title text=format!("Order #{}", s.number) />
        <div class="page-head">
            <h1>{format!("Order #{}", s.number)}</h1>
            {status_badge(s.status)}
        </div>
        <p class="muted">
            "Placed " {format_time(s.created_at)} " · " {payment_label(&s.payment)} " · "
            <a href=order.page_url.clone() target="_blank" rel="noopener">"Shopper's order page"</a>
        </p>
        <section class="card">
            {list_table("order-lines", columns(["Item", "Quantity", "Unit price", "Amount"]), lines)}
        </section>
        {(!order.details.is_empty())
            .then(|| {
                view! {
                    <section class="card">
                        <h2>"Details from the conversation"</h2>
                        <dl class="details">
                            {order
                                .details
                                .into_iter()
                                .map(|(k, v)| view! { <dt>{k}</dt> <dd>{v}</dd> })
                                .collect_view()}
                        </dl>
                    </section>
                }
            })}
        {(can_edit && !s.next.is_empty())
            .then(|| {
                view! {
                    <Card title_id="next-title" title="Update the status">
                        {s.next
                            .iter()
                            .map(|n| {
                                let note_id = format!("note-{}", n.as_str());
                                view! {
                                    <form method="post" action=format!("/orders/{id}/status") class="inline-form">
                                        <input type="hidden" name="status" value=n.as_str() />
                                        <label for=note_id.clone() class="sr-only">"Note"</label>
                                        <input id=note_id type="text" name="note" placeholder="Note (optional)" maxlength="500" />
                                        <button type="submit" class:danger={matches!(n, OrderStatus::Cancelled | OrderStatus::Refunded)}>
                                            {action_label(*n)}
                                        </button>
                                    </form>
                                }
                            })
                            .collect_view()}
                    </Card>
                }
            })}
        <section class="card">
            <h2>"History"</h2>
            <ol class="history" data-testid="order-history">
                {order
                    .history
                    .into_iter()
                    .map(|e| {
                        let label = OrderStatus::parse(&e.to).map_or("?", |s| s.label());
                        view! {
                            <li>
                                <strong>{label}</strong> " · " {format_time(e.at)} " · " {e.actor}
                                {(!e.note.is_empty()).then(|| view! { <span class="muted">" — " {e.note}</span> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}
