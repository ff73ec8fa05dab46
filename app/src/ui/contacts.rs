//! Contacts: the shoppers of a workspace, with tags and attributes
//! (issue 12). The list searches and filters with a GET form and pages
//! with links, and a contact's tags and attributes change through a plain
//! form post: both work before hydration.
//!
//! The server functions live here, with their own port
//! ([`backend::ContactsBackend`]), which the server puts into the pages'
//! context beside the main one.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{Card, Empty, Loaded, WidePage, columns, format_time, list_table, param};
use crate::contacts::{ContactDetail, ContactPage, ContactSummary};
use crate::flow::interpreter::percent_encode;
use crate::model::AppError;

/// One page of contacts, most recently seen first.
#[server(prefix = "/_app", endpoint = "contacts/list")]
pub async fn list_contacts(
    q: Option<String>,
    tag: Option<String>,
    cursor: Option<String>,
) -> Result<ContactPage, AppError> {
    let (backend, parts) = backend::context()?;
    backend.list_contacts(&parts, q, tag, cursor).await
}

/// One contact with its conversations and orders.
#[server(prefix = "/_app", endpoint = "contacts/get")]
pub async fn get_contact(id: i64) -> Result<ContactDetail, AppError> {
    let (backend, parts) = backend::context()?;
    backend.contact(&parts, crate::ids::ContactId(id)).await
}

/// The port the server implements for the contact pages. Only compiled
/// into the server.
#[cfg(feature = "ssr")]
pub mod backend {
    use std::sync::Arc;

    use http::request::Parts;
    use leptos::prelude::use_context;

    use crate::contacts::{ContactDetail, ContactPage};
    use crate::ids::ContactId;
    use crate::model::AppError;

    /// What the contact pages may ask of the server; authorisation
    /// happens behind it, from the request parts.
    #[async_trait::async_trait]
    pub trait ContactsBackend: Send + Sync + 'static {
        /// See [`super::list_contacts`].
        async fn list_contacts(
            &self,
            parts: &Parts,
            q: Option<String>,
            tag: Option<String>,
            cursor: Option<String>,
        ) -> Result<ContactPage, AppError>;
        /// See [`super::get_contact`].
        async fn contact(&self, parts: &Parts, id: ContactId) -> Result<ContactDetail, AppError>;
    }

    /// The backend as placed into Leptos context by the server.
    #[derive(Clone)]
    pub struct ContactsHandle(pub Arc<dyn ContactsBackend>);

    /// The backend and the current request, both taken from context.
    pub fn context() -> Result<(Arc<dyn ContactsBackend>, Parts), AppError> {
        let backend = use_context::<ContactsHandle>().ok_or_else(AppError::internal)?;
        let parts = use_context::<Parts>().ok_or_else(AppError::internal)?;
        Ok((backend.0, parts))
    }
}

/// `/contacts?q=&tag=` with `cursor` when set.
fn list_href(q: &str, tag: &str, cursor: Option<&str>) -> String {
    let mut parts = Vec::new();
    if !q.is_empty() {
        parts.push(format!("q={}", percent_encode(q)));
    }
    if !tag.is_empty() {
        parts.push(format!("tag={}", percent_encode(tag)));
    }
    if let Some(c) = cursor {
        parts.push(format!("cursor={}", percent_encode(c)));
    }
    if parts.is_empty() {
        "/contacts".into()
    } else {
        format!("/contacts?{}", parts.join("&"))
    }
}

fn channel_label(kind: &str) -> &'static str {
    match kind {
        "messenger" => "Messenger",
        "whatsapp" => "WhatsApp",
        "web" => "Web chat",
        _ => "Other",
    }
}

fn tag_list(tags: Vec<String>) -> impl IntoView {
    view! {
        <span class="tags">
            {tags.into_iter().map(|t| view! { <span class="badge tag">{t}</span> " " }).collect_view()}
        </span>
    }
}

/// The export links.
fn exports() -> impl IntoView {
    view! {
        <p class="actions" data-testid="exports">
            <a href="/api/v1/contacts.csv" download="contacts.csv">"Export contacts (CSV)"</a>
            " · "
            <a href="/api/v1/orders.csv" download="orders.csv">"Export orders (CSV)"</a>
        </p>
    }
}

/// `/contacts`.
#[component]
pub fn Contacts() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| move || query.with(|m| m.get(k).unwrap_or_default());
    let (q, tag, cursor) = (get("q"), get("tag"), get("cursor"));
    let page = Resource::new(
        move || (q(), tag(), cursor()),
        |(q, tag, cursor)| {
            let some = |s: String| (!s.trim().is_empty()).then_some(s);
            list_contacts(some(q), some(tag), some(cursor))
        },
    );
    view! {
        <WidePage title="Contacts">
            <div class="page-head">
                <h1>"Contacts"</h1>
                {exports()}
            </div>
            <form method="get" action="/contacts" class="inline-form" role="search" data-testid="contact-search">
                <label for="contact-q" class="sr-only">"Search"</label>
                <input id="contact-q" type="search" name="q" placeholder="Name, phone or email" prop:value=q />
                <label for="contact-tag" class="sr-only">"Tag"</label>
                <input id="contact-tag" type="text" name="tag" placeholder="Tag" prop:value=tag />
                <button type="submit">"Search"</button>
            </form>
            <Loaded data=page loading="Loading contacts…" let:list>
                <ContactTable page=list q=q() tag=tag() paged=!cursor().is_empty() />
            </Loaded>
        </WidePage>
    }
}

#[component]
fn ContactTable(page: ContactPage, q: String, tag: String, paged: bool) -> impl IntoView {
    let next = page
        .next_cursor
        .as_deref()
        .map(|c| list_href(&q, &tag, Some(c)));
    let first = paged.then(|| list_href(&q, &tag, None));
    if page.contacts.is_empty() {
        return view! {
            <Empty testid="no-contacts" title="No contacts here">
                "Everyone who writes to your bots becomes a contact: one per shopper and channel."
            </Empty>
            {first.map(|href| view! { <p><a href=href>"Back to the first page"</a></p> })}
        }
        .into_any();
    }
    let rows = page
        .contacts
        .into_iter()
        .map(|k: ContactSummary| {
            let label = k.label().to_string();
            let totals = k.totals_label();
            view! {
                <tr data-testid="contact-row">
                    <td><a href=format!("/contacts/{}", k.id)>{label}</a></td>
                    <td>{channel_label(&k.channel)}</td>
                    <td>{if k.phone.is_empty() { "—".to_string() } else { k.phone.clone() }}</td>
                    <td class="muted">{format_time(k.first_seen)}</td>
                    <td class="muted">{format_time(k.last_seen)}</td>
                    <td>{k.orders}</td>
                    <td>{totals}</td>
                    <td>{tag_list(k.tags)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {list_table(
            "contact-list",
            columns(["Name", "Channel", "Phone", "First seen", "Last seen", "Orders", "Total", "Tags"]),
            rows,
        )}
        <nav class="pager" aria-label="Pages">
            {first.map(|href| view! { <a href=href>"First page"</a> " " })}
            {next.map(|href| view! { <a href=href rel="next" data-testid="next-page">"Next page"</a> })}
        </nav>
    }
    .into_any()
}

/// `/contacts/{id}`.
#[component]
pub fn ContactView() -> impl IntoView {
    let id = param("id");
    let contact = Resource::new(id, get_contact);
    view! {
        <WidePage title="Contact">
            <p class="crumbs"><a href="/contacts">"Contacts"</a> " › Contact"</p>
            <Loaded data=contact loading="Loading…" let:detail>
                <ContactBody detail />
            </Loaded>
        </WidePage>
    }
}

#[component]
fn ContactBody(detail: ContactDetail) -> impl IntoView {
    let k = detail.contact;
    let id = k.id;
    let label = k.label().to_string();
    let totals = k.totals_label();
    let tags_line = k.tags.join(", ");
    let attribute_lines: String = k
        .attributes
        .iter()
        .map(|(key, v)| format!("{key} = {v}\n"))
        .collect();
    let attributes = k.attributes.clone();
    let editor = detail.can_edit.then(|| {
        view! {
            <Card title_id="edit-title" title="Tags and attributes">
                <form method="post" action=format!("/contacts/{id}") class="stack" data-testid="contact-form">
                    <label for="tags">"Tags, separated by commas"</label>
                    <input id="tags" type="text" name="tags" value=tags_line.clone() placeholder="vip, wholesale" />
                    <label for="attributes">"Attributes, one “key = value” a line (keys: lowercase letters, digits and “_”)"</label>
                    <textarea id="attributes" name="attributes" rows="6" placeholder="email = ana@example.com">{attribute_lines.clone()}</textarea>
                    <label>
                        <input type="checkbox" name="opted_out" value="on" checked=k.opted_out />
                        " Opted out: do not message this shopper"
                    </label>
                    <button type="submit">"Save"</button>
                </form>
                <p class="hint">"Flows read these as {{contact.tags}} and {{contact.<key>}}; a “set variable” step named contact.tag adds a tag."</p>
            </Card>
        }
    });
    let read_only = (!detail.can_edit).then(|| {
        view! {
            <Card title_id="attrs-title" title="Tags and attributes">
                <p>{tag_list(k.tags.clone())}</p>
                <dl class="details">
                    {attributes.into_iter().map(|(key, v)| view! { <dt>{key}</dt> <dd>{v}</dd> }).collect_view()}
                </dl>
            </Card>
        }
    });
    let conversations = detail
        .conversations
        .into_iter()
        .map(|c| {
            view! {
                <li>
                    <a href=format!("/conversations/{}", c.id)>{format!("With {}", c.bot_name)}</a>
                    " · " {c.status} " · " <span class="muted">{format_time(c.updated_at)}</span>
                </li>
            }
        })
        .collect_view();
    let orders = detail
        .orders
        .into_iter()
        .map(|o| {
            view! {
                <li>
                    <a href=format!("/orders/{}", o.id)>{format!("#{}", o.number)}</a>
                    " · " {o.total_label} " · " {o.status.label()} " · "
                    <span class="muted">{format_time(o.created_at)}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <Title text=format!("{label} · Contacts") />
        <div class="page-head">
            <h1 data-testid="contact-name">{label}</h1>
            {k.opted_out.then(|| view! { <span class="badge">"Opted out"</span> })}
        </div>
        <dl class="details" data-testid="contact-facts">
            <dt>"Channel"</dt> <dd>{channel_label(&k.channel)}</dd>
            <dt>"Phone"</dt> <dd>{if k.phone.is_empty() { "—".to_string() } else { k.phone.clone() }}</dd>
            <dt>"First seen"</dt> <dd>{format_time(k.first_seen)}</dd>
            <dt>"Last seen"</dt> <dd>{format_time(k.last_seen)}</dd>
            <dt>"Orders"</dt> <dd>{k.orders} " · " {totals}</dd>
        </dl>
        {editor}
        {read_only}
        <Card title_id="conversations-title" title="Conversations">
            <ul data-testid="contact-conversations">{conversations}</ul>
        </Card>
        <Card title_id="orders-title" title="Latest orders">
            <ul data-testid="contact-orders">{orders}</ul>
        </Card>
    }
}

#[cfg(test)]
mod tests {
    use super::list_href;

    #[test]
    fn list_links_keep_the_filters() {
        assert_eq!(list_href("", "", None), "/contacts");
        assert_eq!(
            list_href("ana lima", "vip&co", Some("MTIz")),
            "/contacts?q=ana%20lima&tag=vip%26co&cursor=MTIz"
        );
    }
}
