//! Workspace settings: members and their roles, invitations, API tokens,
//! and creating another workspace. Only owners see the controls that change
//! members and tokens, and the pending invitations; everyone else sees who
//! is here.

use leptos::prelude::*;

use super::{
    Card, ErrorBox, Loaded, actions_column, columns, format_time, list_table, use_page_data,
};
use crate::model::{AppError, InvitationSummary, MemberSummary, Role, TokenSummary};
use crate::server_fns::{Account, get_inbox_settings, list_invitations, list_members, list_tokens};
use crate::views::InboxSettingsView;

/// The settings page.
#[component]
pub fn Settings() -> impl IntoView {
    let page = use_page_data();
    let members = Resource::new(|| (), |_| list_members());
    let tokens = Resource::new(|| (), |_| list_tokens());
    let invitations = Resource::new(|| (), |_| list_invitations());
    let inbox = Resource::new(|| (), |_| get_inbox_settings());
    let data = move || async move {
        let data = page.await?;
        let Some(account) = data.account else {
            return Err(AppError::unauthenticated());
        };
        let owner = account.workspace.role == Role::Owner;
        let members = members.await;
        let tokens = if owner { Some(tokens.await) } else { None };
        let invitations = if owner { Some(invitations.await) } else { None };
        let can_edit = account.workspace.role >= Role::Editor;
        let inbox = inbox.await;
        Ok(SettingsData {
            inbox,
            can_edit,
            new_webhook_secret: data.flash.new_webhook_secret,
            account,
            new_token: data.flash.new_token,
            new_invitation: data.flash.new_invitation,
            members,
            invitations,
            tokens,
        })
    };
    view! {
        <main class="wide">
            <Loaded data loading="Loading settings…" let:settings>
                {settings_view(settings)}
            </Loaded>
        </main>
    }
}

/// Everything the settings page waits for.
struct SettingsData {
    /// The inbox's notification webhook and echo pause.
    inbox: Result<InboxSettingsView, AppError>,
    /// Whether the member may change them.
    can_edit: bool,
    /// A webhook secret just made, shown once.
    new_webhook_secret: Option<String>,
    /// The signed-in member and their workspace.
    account: Account,
    /// A token just created, shown once.
    new_token: Option<String>,
    /// The link of an invitation just created, shown once.
    new_invitation: Option<String>,
    /// The workspace's members.
    members: Result<Vec<MemberSummary>, AppError>,
    /// The workspace's pending invitations, for owners only.
    invitations: Option<Result<Vec<InvitationSummary>, AppError>>,
    /// The workspace's tokens, for owners only.
    tokens: Option<Result<Vec<TokenSummary>, AppError>>,
}

/// The settings page once its data is here; a member list or token list
/// that failed to load shows its error in its place.
fn settings_view(data: SettingsData) -> impl IntoView {
    let SettingsData {
        inbox,
        can_edit,
        new_webhook_secret,
        account,
        new_token,
        new_invitation,
        members,
        invitations,
        tokens,
    } = data;
    let owner = account.workspace.role == Role::Owner;
    let me = account.email.clone();
    view! {
        <h1>"Settings for " {account.workspace.name.clone()}</h1>
        <p class="muted">
            "Your role here: " <strong>{account.workspace.role.label()}</strong>
        </p>
        {match members {
            Ok(list) => view! { <Members members=list owner me /> }.into_any(),
            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
        }}
        {invitations
            .map(|i| match i {
                Ok(list) => {
                    view! { <Invitations invitations=list new_link=new_invitation.clone() /> }
                        .into_any()
                }
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
        {tokens
            .map(|t| match t {
                Ok(list) => view! { <Tokens tokens=list new_token=new_token.clone() /> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
        {match inbox {
            Ok(s) => view! { <InboxSettings settings=s can_edit new_secret=new_webhook_secret /> }.into_any(),
            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
        }}
        <Workspaces account />
    }
}

/// The inbox: where handoffs are announced, and how long a reply from
/// Meta's own inbox pauses the bot.
#[component]
fn InboxSettings(
    settings: InboxSettingsView,
    can_edit: bool,
    new_secret: Option<String>,
) -> impl IntoView {
    let has_secret = settings.has_secret;
    view! {
        <Card title_id="inbox-settings-title" title="Inbox and handoffs">
            <p class="muted">
                "When a shopper asks for a person, Botme can POST the handoff as JSON to an address of yours \
                 (Slack, email or your helpdesk, through a small bridge), signed with a secret: the \
                 Botme-Signature header is t=<unix time>,v1=<HMAC-SHA256 of t.body>. Failed deliveries \
                 are retried for a day."
            </p>
            {new_secret.map(|s| view! {
                <ShownOnce
                    test_id="new-webhook-secret"
                    note="Your webhook's signing secret. Copy it now: it will not be shown again."
                    label="Signing secret"
                    value=s
                />
            })}
            <form method="post" action="/settings/inbox" class="stack" data-testid="inbox-settings">
                <label>
                    "Notify this address of handoffs (https) "
                    <input type="url" name="notify_url" value=settings.notify_url.clone() placeholder="https://hooks.example.com/botme" disabled=!can_edit />
                </label>
                <label>
                    "After a reply from Meta's own inbox, the bot waits (minutes) "
                    <input type="number" name="echo_pause_minutes" min="0" max="10080" value=settings.echo_pause_minutes.to_string() disabled=!can_edit />
                </label>
                {has_secret.then(|| view! {
                    <label><input type="checkbox" name="rotate_secret" value="1" disabled=!can_edit /> " Make a new signing secret"</label>
                })}
                {can_edit.then(|| view! { <button type="submit">"Save"</button> })}
            </form>
            {(!settings.recent.is_empty()).then(|| view! {
                <h3>"Latest deliveries"</h3>
                <ul data-testid="webhook-deliveries">
                    {settings.recent.into_iter().map(|(status, attempts, error, at)| view! {
                        <li>{format_time(at)} " · " {status} " · " {format!("{attempts} attempt(s)")} {error.map(|e| format!(" · {e}"))}</li>
                    }).collect_view()}
                </ul>
            })}
        </Card>
    }
}

/// A `<select>` of roles with `current` chosen.
fn role_options(current: Role) -> impl IntoView {
    Role::ALL
        .into_iter()
        .rev()
        .map(|r| {
            view! {
                <option value=r.as_str() selected={r == current}>
                    {r.label()}
                </option>
            }
        })
        .collect_view()
}

#[component]
fn Members(members: Vec<MemberSummary>, owner: bool, me: String) -> impl IntoView {
    view! {
        <Card title_id="members-title" title="Members">
            <p class="muted">
                "Owners manage members and API tokens. Editors build bots and manage the catalog. \
                 Agents answer shoppers in the inbox. Viewers can look but not change anything."
            </p>
            {list_table(
                "member-list",
                (columns(["Email", "Role"]), actions_column(owner)),
                members
                    .into_iter()
                    .map(|m| {
                        let is_me = m.email == me;
                        let role_action = format!("/settings/members/{}/role", m.user_id);
                        let remove_action = format!("/settings/members/{}/remove", m.user_id);
                        let select_id = format!("role-{}", m.user_id);
                        view! {
                            <tr>
                                <td>{m.email.clone()} {is_me.then_some(" (you)")}</td>
                                <td>{m.role.label()}</td>
                                {owner
                                    .then(|| {
                                        view! {
                                            <td class="row-actions">
                                                <form method="post" action=role_action class="inline-form">
                                                    <label for=select_id.clone() class="sr-only">
                                                        {format!("Role of {}", m.email)}
                                                    </label>
                                                    <select id=select_id name="role">{role_options(m.role)}</select>
                                                    <button type="submit" class="small">"Change role"</button>
                                                </form>
                                                <form method="post" action=remove_action>
                                                    <button type="submit" class="small danger">
                                                        {if is_me { "Leave" } else { "Remove" }}
                                                    </button>
                                                </form>
                                            </td>
                                        }
                                    })}
                            </tr>
                        }
                    })
                    .collect_view(),
            )}
        </Card>
    }
}

/// Pending invitations, the link of one just made (shown once), and the
/// form that invites someone. Owners only.
#[component]
fn Invitations(invitations: Vec<InvitationSummary>, new_link: Option<String>) -> impl IntoView {
    view! {
        <Card title_id="invitations-title" title="Invitations">
            <p class="muted">
                "Invite a teammate by email. Botme shows you a link to send them; they join with \
                 the role you chose when they open it and accept, signed in with that address. \
                 The link works for 7 days."
            </p>
            {new_link
                .map(|link| {
                    view! {
                        <ShownOnce
                            test_id="new-invitation"
                            note="Copy the invitation link now and send it to them. It will not be shown again."
                            label="Invitation link"
                            value=link
                        />
                    }
                })}
            {if invitations.is_empty() {
                view! { <p class="empty">"No pending invitations."</p> }.into_any()
            } else {
                view! {
                    {list_table(
                        "invitation-list",
                        columns(["Email", "Role", "Invited by", "Expires", "Actions"]),
                        invitations
                            .into_iter()
                            .map(|i| {
                                let action = format!("/settings/invitations/{}/revoke", i.id);
                                let expires = if i.expired {
                                    "Expired: invite again for a new link".to_string()
                                } else {
                                    format_time(i.expires_at)
                                };
                                view! {
                                    <tr>
                                        <td>{i.email}</td>
                                        <td>{i.role.label()}</td>
                                        <td>{i.invited_by.unwrap_or_else(|| "An API token".into())}</td>
                                        <td class="muted">{expires}</td>
                                        <td>
                                            <form method="post" action=action>
                                                <button type="submit" class="small danger">"Revoke"</button>
                                            </form>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view(),
                    )}
                }
                    .into_any()
            }}
            <form method="post" action="/settings/members" class="inline-form">
                <label for="member-email">"Invite by email"</label>
                <input id="member-email" type="email" name="email" required placeholder="teammate@example.com" />
                <label for="member-role" class="sr-only">"Role"</label>
                <select id="member-role" name="role">{role_options(Role::Editor)}</select>
                <button type="submit">"Create invitation"</button>
            </form>
        </Card>
    }
}

#[component]
fn Tokens(tokens: Vec<TokenSummary>, new_token: Option<String>) -> impl IntoView {
    view! {
        <Card title_id="tokens-title" title="API tokens">
            <p class="muted">
                "Programs use API tokens to work with this workspace through the REST API. \
                 Send one as " <code>"Authorization: Bearer <token>"</code> "."
            </p>
            {new_token
                .map(|t| {
                    view! {
                        <ShownOnce
                            test_id="new-token"
                            note="Copy your new token now. It will not be shown again."
                            label="New API token"
                            value=t
                        />
                    }
                })}
            {if tokens.is_empty() {
                view! { <p class="empty">"No API tokens yet."</p> }.into_any()
            } else {
                view! {
                    {list_table(
                        "token-list",
                        columns(["Name", "Role", "Starts with", "Last used", "Actions"]),
                        tokens
                            .into_iter()
                            .map(|t| {
                                let action = format!("/settings/tokens/{}/revoke", t.id);
                                view! {
                                    <tr>
                                        <td>{t.name}</td>
                                        <td>{t.role.label()}</td>
                                        <td><code>{t.prefix} "…"</code></td>
                                        <td class="muted">
                                            {t.last_used_at.map(format_time).unwrap_or_else(|| "Never".into())}
                                        </td>
                                        <td>
                                            <form method="post" action=action>
                                                <button type="submit" class="small danger">"Revoke"</button>
                                            </form>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view(),
                    )}
                }
                    .into_any()
            }}
            <form method="post" action="/settings/tokens" class="inline-form">
                <label for="token-name">"New token name"</label>
                <input id="token-name" type="text" name="name" required maxlength="80" placeholder="e.g. Inventory sync" />
                <label for="token-role" class="sr-only">"Role"</label>
                <select id="token-role" name="role">{role_options(Role::Editor)}</select>
                <button type="submit">"Create token"</button>
            </form>
        </Card>
    }
}

#[component]
fn Workspaces(account: Account) -> impl IntoView {
    view! {
        <Card title_id="workspaces-title" title="Your workspaces">
            <ul>
                {account
                    .workspaces
                    .into_iter()
                    .map(|w| {
                        view! {
                            <li>
                                {w.name} " · " {w.role.label()}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <form method="post" action="/workspaces" class="inline-form">
                <label for="workspace-name">"New workspace"</label>
                <input id="workspace-name" type="text" name="name" required maxlength="80" placeholder="e.g. Client: Green Grocer" />
                <button type="submit">"Create workspace"</button>
            </form>
        </Card>
    }
}

/// A secret shown this once (a new API token, an invitation link), in a
/// field that selects itself for copying.
#[component]
fn ShownOnce(
    test_id: &'static str,
    note: &'static str,
    label: &'static str,
    value: String,
) -> impl IntoView {
    view! {
        <div class="flash notice" data-testid=test_id>
            <p>{note}</p>
            <input
                type="text"
                readonly
                value=value
                aria-label=label
                on:focus=|ev| {
                    event_target::<web_sys::HtmlInputElement>(&ev).select();
                }
            />
        </div>
    }
}
