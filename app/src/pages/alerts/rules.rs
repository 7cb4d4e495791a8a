//! The table of alert rules, with Edit, Enable/Disable and Delete on each row.

use leptos::prelude::*;

use super::rule_form::RuleForm;
use crate::api::alerts::{AlertsRuleDelete, AlertsRuleEnable};
use crate::components::confirm::ConfirmButton;
use crate::dto_alerts::{RuleDto, kind_label};

#[component]
pub(super) fn RuleTable(
    list: Vec<RuleDto>,
    form: RuleForm,
    enable: ServerAction<AlertsRuleEnable>,
    remove: ServerAction<AlertsRuleDelete>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No rules yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" aria-labelledby="rules-heading">
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Watches"</th>
                    <th scope="col">"Channels"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col" class="actions"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|rule| {
                        let id = rule.id;
                        let enabled = rule.enabled;
                        let mut channels = Vec::new();
                        if rule.in_app {
                            channels.push("In-app".to_owned());
                        }
                        match rule.webhook_ids.len() {
                            0 => {}
                            1 => channels.push("1 webhook".to_owned()),
                            n => channels.push(format!("{n} webhooks")),
                        }
                        match rule.email_to.as_slice() {
                            [] => {}
                            [one] => channels.push(format!("Email {one}")),
                            many => channels.push(format!("Email ({} recipients)", many.len())),
                        }
                        let question = format!("Delete the rule {}? Its alert history goes too.", rule.name);
                        let name = rule.name.clone();
                        let stored = StoredValue::new(rule.clone());
                        view! {
                            <tr>
                                <td>{rule.name}<span class="small muted limit-detail">{kind_label(&rule.kind).to_owned()}</span></td>
                                <td>{rule.summary}</td>
                                <td>{channels.join(", ")}</td>
                                <td>{if enabled {
                                    view! { <span class="badge badge-active">"Enabled"</span> }.into_any()
                                } else {
                                    view! { <span class="badge badge-disabled">"Disabled"</span> }.into_any()
                                }}</td>
                                <td class="actions">
                                    <button type="button" class="btn btn-sm" aria-label=format!("Edit rule {name}")
                                        on:click=move |_| stored.with_value(|r| form.fill(r))>"Edit"</button>
                                    <button type="button" class="btn btn-sm"
                                        on:click=move |_| { enable.dispatch(AlertsRuleEnable { id, enabled: !enabled }); }>
                                        {if enabled { "Disable" } else { "Enable" }}
                                    </button>
                                    <ConfirmButton label="Delete".to_owned() question confirm_label="Delete".to_owned()
                                        on_confirm=move |_| { remove.dispatch(AlertsRuleDelete { id }); } />
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
