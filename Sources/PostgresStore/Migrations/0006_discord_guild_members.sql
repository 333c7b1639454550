-- Discord guild membership in production. The sentinel admits `discord` jobs through per-guild
-- Bloom filters (System/Sentinel/GuildDirectory.swift) built from each guild's members, which
-- the simulation feeds from its Discord model; in production the members are kept here by the
-- operator (`sentinel guild add|remove|drop|list`, or a bot exporting the member list), and the
-- scheduler rebuilds its filters from this table.
--
-- `discord_guild_membership_version` is one row bumped by every change (a statement trigger):
-- the scheduler reads it about once a second and reloads the members only when it moved, so a
-- change takes effect within a second and no change is lost to a dropped notification.

CREATE TABLE IF NOT EXISTS discord_guild_members (
    guild_id    text NOT NULL CHECK (guild_id ~ '^[0-9]{1,20}$'),
    member_id   numeric(20, 0) NOT NULL CHECK (member_id >= 0 AND member_id <= 18446744073709551615),
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, member_id)
);

CREATE TABLE IF NOT EXISTS discord_guild_membership_version (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    version     bigint NOT NULL DEFAULT 0
);
INSERT INTO discord_guild_membership_version (one, version) VALUES (true, 0) ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION bump_discord_guild_membership_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE discord_guild_membership_version SET version = version + 1 WHERE one;
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS trg_discord_guild_members_version ON discord_guild_members;
CREATE TRIGGER trg_discord_guild_members_version
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON discord_guild_members
FOR EACH STATEMENT EXECUTE FUNCTION bump_discord_guild_membership_version();
