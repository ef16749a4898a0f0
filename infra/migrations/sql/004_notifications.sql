-- Notifications group (consumers/notifications). Its own tables; nothing else writes them
-- except users marking notifications read and changing their preferences.

-- The users the group knows, projected from user.registered / user.profile_updated: where
-- to send email, and who the staff of each hotel are. `last_sequence` is the user
-- aggregate's sequence of the event that last wrote the row (older events are ignored).
CREATE TABLE notification_users (
  user_id       text        PRIMARY KEY CHECK (user_id <> ''),
  email         text        NOT NULL,
  display_name  text        NOT NULL,
  role          text        NOT NULL,
  hotel_id      text,
  locale        text        NOT NULL DEFAULT 'en',
  last_sequence bigint      NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_users_staff ON notification_users (hotel_id) WHERE role IN ('STAFF', 'ADMIN');

-- The in-app inbox. Exactly one row per (source event, recipient): the unique key is the
-- dedupe, checked in the same transaction that emits notification.created.
CREATE TABLE notifications (
  id                uuid        PRIMARY KEY,
  recipient_id      text        NOT NULL CHECK (recipient_id <> ''),
  kind              text        NOT NULL,
  title             text        NOT NULL,
  body              text        NOT NULL,
  source_event_id   uuid        NOT NULL,
  source_event_type text        NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  read_at           timestamptz,
  UNIQUE (source_event_id, recipient_id)
);
CREATE INDEX notifications_inbox ON notifications (recipient_id, created_at DESC);
CREATE INDEX notifications_unread ON notifications (recipient_id) WHERE read_at IS NULL;

-- Opt-outs per user, notification kind ('*' = every kind) and medium. No row = enabled; a
-- row for the kind wins over the '*' row.
CREATE TABLE notification_preferences (
  user_id    text        NOT NULL CHECK (user_id <> ''),
  kind       text        NOT NULL CHECK (kind <> ''),
  medium     text        NOT NULL CHECK (medium IN ('in_app', 'email')),
  enabled    boolean     NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, kind, medium)
);

-- One row per email the group decided to send: written with the inbox row, marked `sent`
-- right after the SMTP server accepted it. A redelivered event finds `sent` and does not
-- send again; only a crash between the server's 250 and this update can repeat an email,
-- and the repeat carries the same Message-ID.
CREATE TABLE notification_emails (
  source_event_id uuid        NOT NULL,
  recipient_id    text        NOT NULL,
  address         text        NOT NULL,
  message_id      text        NOT NULL UNIQUE,
  kind            text        NOT NULL,
  status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected')),
  attempts        integer     NOT NULL DEFAULT 0,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  PRIMARY KEY (source_event_id, recipient_id)
);
CREATE INDEX notification_emails_pending ON notification_emails (created_at) WHERE status = 'pending';
