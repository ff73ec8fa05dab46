//! Messages, quick replies, questions, conditions, handoff, and the end and
//! budget of a conversation.

use super::*;

#[test]
fn message_interpolates_and_moves_on() {
    let mut doc = flow(
        vec![
            node(
                "set",
                NodeKind::SetVariable(SetVariableSettings {
                    name: "name".into(),
                    value: "Ana".into(),
                }),
            ),
            node(
                "hi",
                NodeKind::Message(MessageSettings {
                    text: "Hi {{name}}, {{unknown}}!".into(),
                    image_url: Some("https://img.example/hi.png".into()),
                }),
            ),
            end("bye", "Bye {{ name }}"),
        ],
        vec![e("set", "next", "hi"), e("hi", "next", "bye")],
    );
    doc.start = Some("set".into());
    let mut chat = Chat::new(doc);
    let effects = chat.send(Input::Start).to_vec();
    assert_eq!(said(&effects), ["Hi Ana, !", "[image]", "Bye Ana"]);
    let visits: Vec<_> = effects
        .iter()
        .filter(|e| matches!(e, Effect::Visit { .. }))
        .collect();
    assert_eq!(visits.len(), 3);
    assert_eq!(effects.last(), Some(&Effect::End));
    assert_eq!(chat.session.status, Status::Ended);
    assert_eq!(chat.at(), "bye");
}

fn menu_flow() -> FlowDoc {
    let mut menu = qr(
        "menu",
        "Pick a size",
        &[("s42", "Size 42"), ("s43", "Größe 43"), ("s44", "Size 44")],
    );
    if let NodeKind::QuickReply(s) = &mut menu.kind {
        s.save_as = Some("size".into());
    }
    flow(
        vec![menu, msg("chosen", "You picked {{size}}"), end("bye", "")],
        vec![
            e("menu", "s42", "chosen"),
            e("menu", "s43", "chosen"),
            e("menu", "s44", "chosen"),
            e("chosen", "next", "bye"),
        ],
    )
}

#[test]
fn quick_reply_matches_payload_label_and_number() {
    let mut chat = Chat::new(menu_flow());
    chat.send(Input::Start);
    assert_eq!(chat.at(), "menu");
    assert_eq!(chat.session.status, Status::Waiting);
    chat.tap_label("Size 42");
    assert_eq!(chat.said(), ["You picked Size 42"]);

    for (typed, expect) in [
        ("size 42", "Size 42"),
        ("  GROSSE 43!", "Größe 43"),
        ("grosse 43", "Größe 43"),
        ("3", "Size 44"),
        ("option 2", "Größe 43"),
    ] {
        let mut chat = Chat::new(menu_flow());
        chat.send(Input::Start);
        chat.text(typed);
        assert_eq!(
            chat.said(),
            [format!("You picked {expect}")],
            "typed {typed:?}"
        );
        assert_eq!(chat.session.vars["size"], expect);
    }
}

#[test]
fn quick_reply_reprompts_or_takes_the_fallback() {
    let mut chat = Chat::new(menu_flow());
    chat.send(Input::Start);
    chat.text("purple");
    let said = chat.said();
    assert_eq!(
        said[0],
        "Sorry, I didn't catch that. Please choose one of the options."
    );
    assert_eq!(said[1], "Pick a size");
    assert_eq!(chat.at(), "menu");
    chat.text("4");
    assert_eq!(chat.at(), "menu", "out of range numbers do not match");

    let mut doc = menu_flow();
    doc.nodes.push(msg("help", "Let me help"));
    doc.edges.push(e("menu", "fallback", "help"));
    doc.edges.push(e("help", "next", "bye"));
    let mut chat = Chat::new(doc);
    chat.send(Input::Start);
    chat.text("purple");
    assert_eq!(chat.said(), ["Let me help"]);
}

#[test]
fn a_tap_on_an_old_question_still_counts() {
    let mut doc = menu_flow();
    doc.nodes
        .insert(1, qr("color", "Pick a color", &[("red", "Red")]));
    doc.edges.retain(|x| x.from.as_str() != "chosen");
    doc.edges.push(e("chosen", "next", "color"));
    doc.edges.push(e("color", "red", "bye"));
    let mut chat = Chat::new(doc);
    chat.send(Input::Start);
    let old = find_payload(&chat.last, "Size 42").unwrap();
    chat.tap_label("Size 44");
    assert_eq!(chat.at(), "color");
    // The shopper scrolls up and taps an answer to the earlier question.
    chat.tap(&old);
    assert_eq!(chat.said(), ["You picked Size 42", "Pick a color"]);
    assert_eq!(chat.at(), "color");
    // Garbage payloads are read as text and re-prompt.
    chat.tap("b1|o|nosuchnode|x");
    assert_eq!(chat.at(), "color");
    assert!(chat.said().iter().any(|s| s == "Pick a color"));
}

#[test]
fn ask_validates_and_reprompts() {
    let doc = flow(
        vec![
            node(
                "email",
                NodeKind::Ask(AskSettings {
                    text: "Your email?".into(),
                    kind: AskKind::Email,
                    save_as: "email".into(),
                    reprompt: None,
                    max_attempts: 2,
                }),
            ),
            node(
                "phone",
                NodeKind::Ask(AskSettings {
                    text: "Your phone?".into(),
                    kind: AskKind::Phone,
                    save_as: "phone".into(),
                    reprompt: Some("Digits please, {{email}}".into()),
                    max_attempts: 3,
                }),
            ),
            end("ok", "Thanks"),
            end("gave_up", "Let's try later"),
        ],
        vec![
            e("email", "next", "phone"),
            e("email", "invalid", "gave_up"),
            e("phone", "next", "ok"),
        ],
    );
    let mut chat = Chat::new(doc.clone());
    chat.send(Input::Start);
    chat.text("not an email");
    assert_eq!(
        chat.said()[0],
        "That doesn't look like an email address. Please try again, like name@example.com."
    );
    chat.text(" Ana@Example.COM ");
    assert_eq!(chat.session.vars["email"], "ana@example.com");
    chat.text("call me maybe");
    assert_eq!(
        chat.said(),
        ["Digits please, ana@example.com", "Your phone?"]
    );
    chat.text("+1 (650) 555-1234");
    assert_eq!(chat.session.vars["phone"], "+16505551234");
    assert_eq!(chat.said(), ["Thanks"]);

    let mut chat = Chat::new(doc);
    chat.send(Input::Start);
    chat.text("nope");
    chat.text("nope again");
    assert_eq!(
        chat.said(),
        ["Let's try later"],
        "after max_attempts the invalid port is taken"
    );

    use app::flow::interpreter::check_answer;
    assert_eq!(
        check_answer(AskKind::Number, "12,5").as_deref(),
        Some("12.5")
    );
    assert_eq!(check_answer(AskKind::Number, "twelve"), None);
    assert_eq!(check_answer(AskKind::Address, "Main St"), None);
    assert!(check_answer(AskKind::Address, "12 Main Street, 94107 SF").is_some());
    assert_eq!(check_answer(AskKind::Phone, "123"), None);
    assert_eq!(check_answer(AskKind::Text, "   "), None);
}

#[test]
fn condition_branches_on_variables_and_the_cart() {
    let branches = vec![
        Branch {
            id: "vip".into(),
            label: "VIP".into(),
            subject: Subject::Variable {
                name: "tier".into(),
            },
            op: Comparison::Equals,
            value: "Gold".into(),
        },
        Branch {
            id: "big".into(),
            label: String::new(),
            subject: Subject::CartTotal,
            op: Comparison::GreaterThan,
            value: "100".into(),
        },
        Branch {
            id: "some".into(),
            label: String::new(),
            subject: Subject::CartCount,
            op: Comparison::GreaterThan,
            value: "0".into(),
        },
    ];
    let doc = flow(
        vec![
            node("cond", NodeKind::Condition(ConditionSettings { branches })),
            end("vip", "vip"),
            end("big", "big"),
            end("some", "some"),
            end("else", "else"),
        ],
        vec![
            e("cond", "vip", "vip"),
            e("cond", "big", "big"),
            e("cond", "some", "some"),
            e("cond", "else", "else"),
        ],
    );
    let run = |tier: Option<&str>, skus: &[&str]| {
        let mut chat = Chat::new(doc.clone());
        if let Some(t) = tier {
            chat.session.vars.insert("tier".into(), t.into());
        }
        for s in skus {
            chat.session.cart.add(&catalog(), s, 1).unwrap();
        }
        chat.send(Input::Start);
        chat.said()
    };
    assert_eq!(run(Some("gold"), &[]), ["vip"], "equals ignores case");
    assert_eq!(run(None, &["TRAIL-2"]), ["big"], "$120.00 > 100");
    assert_eq!(run(None, &["RUN-1"]), ["some"], "$89.00 is not > 100");
    assert_eq!(run(Some("silver"), &[]), ["else"]);
}

#[test]
fn handoff_silences_the_bot_until_a_keyword() {
    let mut doc = flow(
        vec![
            node(
                "agent",
                NodeKind::Handoff(HandoffSettings {
                    text: "A person will reply".into(),
                }),
            ),
            qr("menu", "Menu", &[("a", "A")]),
            end("e", ""),
        ],
        vec![e("menu", "a", "e")],
    );
    doc.triggers.push(Trigger {
        keywords: vec!["Menu".into()],
        to: "menu".into(),
    });
    let mut chat = Chat::new(doc);
    chat.send(Input::Start);
    assert!(chat.last.contains(&Effect::Handoff {
        node: "agent".into()
    }));
    assert_eq!(chat.session.status, Status::HandedOff);
    chat.text("hello?");
    assert!(chat.last.is_empty(), "the person answers, not the bot");
    chat.text("MENU");
    assert_eq!(chat.said(), ["Menu"]);
    assert_eq!(chat.session.status, Status::Waiting);
}

#[test]
fn an_ended_conversation_starts_again() {
    let mut chat = Chat::new(flow(
        vec![msg("a", "Hello"), end("b", "Bye")],
        vec![e("a", "next", "b")],
    ));
    chat.text("hi");
    assert_eq!(chat.said(), ["Hello", "Bye"]);
    chat.text("hi again");
    assert_eq!(chat.said(), ["Hello", "Bye"]);
}

#[test]
fn a_loop_that_never_waits_stops_within_the_budget() {
    let doc = flow(
        vec![msg("a", "ping"), msg("b", "pong")],
        vec![e("a", "next", "b"), e("b", "next", "a")],
    );
    assert!(
        ValidFlow::compile(doc.clone()).is_err(),
        "validation refuses it"
    );
    let mut chat = Chat::unchecked(doc);
    chat.send(Input::Start);
    let visits = chat
        .last
        .iter()
        .filter(|e| matches!(e, Effect::Visit { .. }))
        .count();
    assert_eq!(visits as u32, STEP_BUDGET);
    assert_eq!(chat.last.last(), Some(&Effect::End));
    assert!(matches!(chat.at(), "a" | "b"));
}

/// A set-variable step that stores 1,000 characters, then `messages`
/// messages of `copies` references to it each, in a line.
fn amplifier(messages: usize, copies: usize) -> FlowDoc {
    let mut nodes = vec![node(
        "set",
        NodeKind::SetVariable(SetVariableSettings {
            name: "big".into(),
            value: "é".repeat(MAX_VAR_CHARS),
        }),
    )];
    let mut edges = Vec::new();
    let mut last = "set".to_string();
    for i in 0..messages {
        let id = format!("m{i}");
        nodes.push(msg(&id, &"{{big}}".repeat(copies)));
        edges.push(e(&last, "next", &id));
        last = id;
    }
    nodes.push(end("bye", ""));
    edges.push(e(&last, "next", "bye"));
    let mut doc = flow(nodes, edges);
    doc.start = Some("set".into());
    doc
}

#[test]
fn a_message_is_capped_after_its_variables_are_filled_in() {
    // 500 references to a 1,000-character value: 500,000 characters.
    let mut chat = Chat::new(amplifier(1, 500));
    let effects = chat.send(Input::Start).to_vec();
    let texts = said(&effects);
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].chars().count(), MAX_MESSAGE_CHARS);
    assert!(texts[0].ends_with("é…"), "cut on a character, marked");
    // Under the cap nothing is cut.
    let mut chat = Chat::new(amplifier(1, 4));
    let texts = said(chat.send(Input::Start));
    assert_eq!(texts[0].chars().count(), 4 * MAX_VAR_CHARS);
    assert!(!texts[0].ends_with('…'));
}

#[test]
fn one_turn_sends_at_most_its_output_cap() {
    // 40 messages of 4,096 characters (two bytes each): 320 KB asked for.
    let mut chat = Chat::new(amplifier(40, 5));
    let effects = chat.send(Input::Start).to_vec();
    let sent: usize = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { message } => Some(message.weight()),
            _ => None,
        })
        .sum();
    assert!(sent <= MAX_TURN_OUTPUT_BYTES, "{sent} bytes sent");
    let n = said(&effects).len();
    assert!((1..40).contains(&n), "{n} messages sent");
    // The conversation still went through every step.
    assert_eq!(chat.at(), "bye");
}

#[test]
fn a_cart_total_condition_compares_in_the_main_unit() {
    // Subject::CartTotal holds the total as 89.00 for $89.00, not 8900.
    let branch = |op, value: &str| Branch {
        id: "yes".into(),
        label: String::new(),
        subject: Subject::CartTotal,
        op,
        value: value.into(),
    };
    let run = |b: Branch| {
        let doc = flow(
            vec![
                node(
                    "cond",
                    NodeKind::Condition(ConditionSettings { branches: vec![b] }),
                ),
                end("yes", "yes"),
                end("no", "no"),
            ],
            vec![e("cond", "yes", "yes"), e("cond", "else", "no")],
        );
        let mut chat = Chat::new(doc);
        chat.session.cart.add(&catalog(), "RUN-1", 1).unwrap();
        chat.send(Input::Start);
        chat.said()
    };
    assert_eq!(run(branch(Comparison::GreaterThan, "88.99")), ["yes"]);
    assert_eq!(run(branch(Comparison::LessThan, "89.01")), ["yes"]);
    assert_eq!(run(branch(Comparison::GreaterThan, "89")), ["no"]);
    assert_eq!(
        run(branch(Comparison::LessThan, "8900")),
        ["yes"],
        "not cents"
    );
    assert_eq!(run(branch(Comparison::Equals, "89.00")), ["yes"]);
}
