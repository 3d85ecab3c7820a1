//! What the server does with new mail: present it by channel push (claiming it), push it as a
//! hint (tool results claim it), or leave it to the plugin's monitor. Which files to look at
//! comes from [`Arrivals`]: the ones events name, a bounded first pass, rare rescans.

use std::io::Write;

use crate::bridge::arrivals::PassKind;
use crate::bridge::{Mode as PassMode, Name, Pass};
use crate::present;

use super::server::{CHANNEL_SETTLE, Server};
use super::{log, push};

impl<W: Write> Server<W> {
    pub(super) fn push_new_mail(&mut self) {
        let name = self.agent.name().clone();
        if self.agent.bridge.monitor_live(&name) {
            // The plugin's monitor presents new mail; a push would be a second copy. Should
            // the monitor go, the next push starts with a bounded first pass.
            self.arrivals.restart();
            return;
        }
        match self.agent.channel {
            push::Mode::Off => self.arrivals.restart(),
            // The timers come back after the settling time.
            push::Mode::Present
                if self
                    .initialized_at
                    .is_some_and(|t| t.elapsed() < CHANNEL_SETTLE) => {}
            push::Mode::Present => self.present_by_push(&name),
            push::Mode::Hint => self.hint_by_push(&name),
        }
    }

    /// Channel events reach the model: each push presents its message, so it claims it.
    fn present_by_push(&mut self, name: &Name) {
        let mailbox = self.agent.bridge.mailbox(name);
        let mut announced = std::mem::take(&mut self.agent.announced);
        let due = self
            .arrivals
            .pass(&mailbox, PassMode::Claim, &|f| announced.contains(f));
        let (mut pass, kind) = match due {
            Ok(Some(due)) => due,
            Ok(None) => return self.agent.announced = announced,
            Err(e) => {
                self.agent.announced = announced;
                return log::warn(format_args!("cannot read the inbox: {e}"));
            }
        };
        let rule = push::rule(&self.agent.bridge);
        present::present_new(&mut pass, &mut announced, &mut |new| {
            let note = match new {
                present::New::Whole(m) => push::message_notification(m, name, rule.as_deref()),
                present::New::TooLong(m) => push::notice(&present::waiting_line(m, name)),
            };
            self.write(&note)
        });
        self.agent.announced = announced;
        self.announce_backlog(&pass, kind, name);
        let report = pass.finish();
        self.agent.note(&report.problems, &report.expired);
    }

    /// An unknown client: push what is new as a hint; tool results present and claim it.
    fn hint_by_push(&mut self, name: &Name) {
        let mailbox = self.agent.bridge.mailbox(name);
        let pushed = &self.agent.pushed;
        let due = self
            .arrivals
            .pass(&mailbox, PassMode::Peek, &|f| pushed.contains(f));
        let (mut pass, kind) = match due {
            Ok(Some(due)) => due,
            Ok(None) => return,
            Err(e) => return log::warn(format_args!("cannot read the inbox: {e}")),
        };
        if kind == PassKind::Rescan {
            self.agent.pushed.prune(&mailbox);
        }
        let rule = push::rule(&self.agent.bridge);
        for env in pass.by_ref() {
            if !self.write(&push::message_notification(
                &env.message,
                name,
                rule.as_deref(),
            )) {
                break;
            }
            self.agent.pushed.insert(env.file);
        }
        self.announce_backlog(&pass, kind, name);
        let report = pass.finish();
        self.agent.note(&report.problems, &[]);
    }

    /// After the first pass: one notice for the backlog it left, never one push per message.
    fn announce_backlog(&mut self, pass: &Pass, kind: PassKind, name: &Name) {
        let waiting = pass.remaining();
        if kind == PassKind::First && waiting > 0 {
            log::info(format_args!(
                "{waiting} older message(s) wait: announced, not pushed"
            ));
            self.write(&push::notice(&present::backlog_line(waiting, name)));
        }
    }
}
