//! The Channels page (connect Messenger, WhatsApp and the web widget, with
//! what to paste into Meta's console or a website) and the conversation
//! pages (transcripts with delivery status, and the orders they placed).

use leptos::prelude::*;

use super::{Card, Empty, Loaded, WidePage, format_time};
use crate::model::BotSummary;
use crate::server_fns::{ChannelsPage, get_channels_page};
use crate::views::ChannelView;

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "messenger" => "Messenger",
        "whatsapp" => "WhatsApp",
        "web" => "Web chat",
        "test" => "Test",
        _ => "Other",
    }
}

/// `/channels`.
#[component]
pub fn Channels() -> impl IntoView {
    let page = Resource::new(|| (), |_| get_channels_page());
    view! {
        <WidePage title="Channels">
            <h1>"Channels"</h1>
            <p class="muted">"Connect the places your shoppers chat: a Facebook page, a WhatsApp number, or a chat bubble on your own website."</p>
            <Loaded data=page loading="Loading…" let:p>
                <ChannelsBody page=p />
            </Loaded>
        </WidePage>
    }
}

#[component]
fn ChannelsBody(page: ChannelsPage) -> impl IntoView {
    let bots = page.bots.clone();
    let bot_name = move |id: i64| {
        bots.iter()
            .find(|b| b.id == id)
            .map(|b| b.name.clone())
            .unwrap_or_else(|| "—".into())
    };
    let list = if page.channels.is_empty() {
        view! {
            <Empty testid="no-channels" title="No channels yet">
                "Connect one below. Until then, shoppers cannot reach your bots."
            </Empty>
        }
        .into_any()
    } else {
        page.channels
            .into_iter()
            .map(|c| {
                let name = bot_name(c.bot_id);
                view! { <ChannelCard channel=c bot=name can_edit=page.can_edit /> }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <div data-testid="channel-list">{list}</div>
        {(page.can_edit && page.bots.is_empty())
            .then(|| view! { <p class="flash notice">"Create a bot first: a channel connects shoppers to one bot."</p> })}
        {(page.can_edit && !page.bots.is_empty())
            .then(|| {
                view! {
                    <Connect bots=page.bots.clone() verify_token=page.verify_token.clone() meta_ready=page.meta_ready />
                }
            })}
    }
}

#[component]
fn ChannelCard(channel: ChannelView, bot: String, can_edit: bool) -> impl IntoView {
    let id = channel.id;
    let healthy = channel.health == "ok";
    view! {
        <section class="card" data-testid="channel" data-kind=channel.kind.clone()>
            <div class="page-head">
                <h2>{channel.name.clone()}</h2>
                <span class="badge">{kind_label(&channel.kind)}</span>
            </div>
            <p class="muted">"Answered by " <strong>{bot}</strong> " · connected " {format_time(channel.created_at)}</p>
            {(!healthy).then(|| view! { <p class="flash error" role="alert">"Not working: " {channel.health.clone()}</p> })}
            {channel.webhook_url.clone().map(|url| view! {
                <p>"Webhook URL for Meta: " <code data-testid="webhook-url">{url}</code></p>
            })}
            {channel.script_tag.clone().map(|tag| view! {
                <p>"Paste this line into your site, just before " <code>"</body>"</code> ":"</p>
                <input type="text" readonly class="code-line" value=tag aria-label="Widget script tag" data-testid="script-tag" />
                <p class="muted">"Allowed sites: " {channel.allowed_origins.join(", ")}</p>
            })}
            {(can_edit && channel.kind != "web").then(|| view! {
                <details open=!healthy>
                    <summary>"Replace the access token"</summary>
                    <form method="post" action=format!("/channels/{id}/token") class="inline-form" data-testid="replace-token">
                        <label>"New access token" <input type="password" name="access_token" required autocomplete="off" /></label>
                        <button type="submit">"Save token"</button>
                    </form>
                    <p class="muted">"Messages waiting while the channel was not working go out once it works again (if the shopper wrote within 24 hours)."</p>
                </details>
            })}
            {can_edit.then(|| view! {
                <form method="post" action=format!("/channels/{id}/delete")>
                    <button type="submit" class="small danger">"Disconnect"</button>
                </form>
            })}
        </section>
    }
}

fn bot_options(bots: &[BotSummary]) -> Vec<AnyView> {
    bots.iter()
        .map(|b| {
            let live = b.published_version.is_some();
            let label = format!(
                "{}{}",
                b.name,
                if live { "" } else { " (not published yet)" }
            );
            view! { <option value=b.id.to_string()>{label}</option> }.into_any()
        })
        .collect()
}

#[component]
fn Connect(bots: Vec<BotSummary>, verify_token: Option<String>, meta_ready: bool) -> impl IntoView {
    let web_bots = bot_options(&bots);
    view! {
        <Card title_id="connect-web" title="Add a chat bubble to your website">
            <form method="post" action="/channels" class="stack" data-testid="connect-web">
                <input type="hidden" name="kind" value="web" />
                <label>"Bot" <select name="bot_id">{web_bots}</select></label>
                <label>
                    "Your website addresses, one per line"
                    <textarea name="allowed_origins" rows="2" required placeholder="https://shop.example"></textarea>
                </label>
                <button type="submit" class="primary">"Create chat bubble"</button>
            </form>
        </Card>
        <Card title_id="connect-meta" title="Connect Messenger or WhatsApp">
            {(!meta_ready).then(|| view! {
                <p class="flash error">"This server has no Meta app secret (META_APP_SECRET), so it cannot accept Meta's webhooks yet. Ask your administrator."</p>
            })}
            <ol class="muted">
                <li>"In your Meta app's webhook settings, enter the webhook URL shown on the channel after connecting, and this verify token: "
                    {match verify_token {
                        Some(t) => view! { <code data-testid="verify-token">{t}</code> }.into_any(),
                        None => view! { <em>"not set on this server (META_VERIFY_TOKEN)"</em> }.into_any(),
                    }}
                </li>
                <li>"Subscribe to messages, messaging_postbacks, message_deliveries and message_reads (Messenger), or messages (WhatsApp)."</li>
                <li>"Paste the page or number id and an access token below. The token is stored encrypted."</li>
            </ol>
            <MetaForm kind="messenger" title="Facebook page" id_label="Page id" id_name="page_id" token_label="Page access token" button="Connect page" bots=bots.clone() />
            <MetaForm kind="whatsapp" title="WhatsApp number" id_label="Phone number id" id_name="phone_number_id" token_label="Access token" button="Connect number" bots=bots.clone() />
        </Card>
    }
}

/// The form that connects one Messenger page or WhatsApp number.
#[component]
fn MetaForm(
    /// The channel kind posted: `messenger` or `whatsapp`.
    kind: &'static str,
    title: &'static str,
    /// The label and field name of the page or number id.
    id_label: &'static str,
    id_name: &'static str,
    token_label: &'static str,
    button: &'static str,
    bots: Vec<BotSummary>,
) -> impl IntoView {
    view! {
        <form method="post" action="/channels" class="stack">
            <input type="hidden" name="kind" value=kind />
            <h3>{title}</h3>
            <label>"Bot" <select name="bot_id">{bot_options(&bots)}</select></label>
            <label>{id_label} <input type="text" name=id_name inputmode="numeric" required /></label>
            <label>{token_label} <input type="password" name="access_token" required autocomplete="off" /></label>
            <button type="submit">{button}</button>
        </form>
    }
}
