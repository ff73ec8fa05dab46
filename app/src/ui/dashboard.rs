//! The dashboard: the current workspace's bots, with create, rename and
//! delete. Viewers see the list without the controls.

use leptos::prelude::*;

use super::{Empty, Loaded, actions_column, columns, format_time, list_table, with_can_edit};
use crate::model::BotSummary;
use crate::server_fns::list_bots;

/// The list of bots.
#[component]
pub fn Dashboard() -> impl IntoView {
    let bots = Resource::new(|| (), |_| list_bots());
    view! {
        <main class="wide">
            <Loaded
                data=with_can_edit(bots)
                loading="Loading your bots…"
                let((list, can_edit))
            >
                <BotTable bots=list can_edit />
            </Loaded>
        </main>
    }
}

#[component]
fn BotTable(bots: Vec<BotSummary>, can_edit: bool) -> impl IntoView {
    let empty = bots.is_empty();
    view! {
        <div class="page-head">
            <h1>"Bots"</h1>
        </div>
        {can_edit.then(|| view! { <NewBot /> })}
        {if empty {
            view! {
                <Empty testid="no-bots" title="No bots yet">
                    {if can_edit {
                        "Give your first bot a name above and pick a starting point: a ready-made shop, questions and answers, order tracking, or a blank flow."
                    } else {
                        "Nobody in this workspace has created a bot yet. Editors and owners can create one."
                    }}
                </Empty>
            }
                .into_any()
        } else {
            view! {
                {list_table(
                    "bot-list",
                    (columns(["Name", "Status", "Last changed"]), actions_column(can_edit)),
                    bots
                        .into_iter()
                        .map(|bot| view! { <BotRow bot can_edit /> })
                        .collect_view(),
                )}
            }
                .into_any()
        }}
    }
}

#[component]
fn BotRow(bot: BotSummary, can_edit: bool) -> impl IntoView {
    let rename_action = format!("/bots/{}/rename", bot.id);
    let delete_action = format!("/bots/{}/delete", bot.id);
    let rename_id = format!("rename-{}", bot.id);
    let name = bot.name.clone();
    let confirm_text = format!("Delete the bot “{}”? This cannot be undone.", bot.name);
    view! {
        <tr data-testid="bot-row">
            <td class="bot-name">
                <a href=format!("/bots/{}", bot.id)>{bot.name.clone()}</a>
            </td>
            <td>
                {match bot.published_version {
                    Some(v) => view! { <span class="badge live">"Live · v" {v}</span> }.into_any(),
                    None => view! { <span class="badge">"Draft"</span> }.into_any(),
                }}
            </td>
            <td class="muted">{format_time(bot.updated_at)}</td>
            {can_edit
                .then(|| {
                    view! {
                        <td class="row-actions">
                            <form method="post" action=rename_action class="inline-form">
                                <label for=rename_id.clone() class="sr-only">
                                    {format!("New name for {}", bot.name)}
                                </label>
                                <input id=rename_id type="text" name="name" value=name required maxlength="80" />
                                <button type="submit" class="small">"Rename"</button>
                            </form>
                            <form
                                method="post"
                                action=delete_action
                                on:submit=move |ev| {
                                    let confirmed = window()
                                        .confirm_with_message(&confirm_text)
                                        .unwrap_or(false);
                                    if !confirmed {
                                        ev.prevent_default();
                                    }
                                }
                            >
                                <button type="submit" class="small danger">
                                    "Delete"
                                </button>
                            </form>
                        </td>
                    }
                })}
        </tr>
    }
}

/// Create a bot: a name and a starting point from the template gallery.
#[component]
fn NewBot() -> impl IntoView {
    view! {
        <form method="post" action="/bots" class="card" data-testid="create-bot">
            <h2>"New bot"</h2>
            <label class="stack-label">
                "Name"
                <input id="new-bot-name" type="text" name="name" required maxlength="80" placeholder="e.g. Summer sale assistant" />
            </label>
            <fieldset class="templates">
                <legend>"Start from"</legend>
                {crate::flow::templates::TEMPLATES
                    .iter()
                    .map(|t| {
                        view! {
                            <label class="template">
                                <input type="radio" name="template" value=t.id checked={t.id == "shop"} />
                                <strong>{t.name}</strong>
                                <span class="muted">{t.description}</span>
                            </label>
                        }
                    })
                    .collect_view()}
                <label class="template">
                    <input type="radio" name="template" value="blank" />
                    <strong>"Blank flow"</strong>
                    <span class="muted">"An empty canvas, for building everything yourself."</span>
                </label>
            </fieldset>
            <button type="submit" class="primary">"Create bot"</button>
        </form>
    }
}
