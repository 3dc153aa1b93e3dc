-- Reference data the API depends on: the portal's five voucher templates and the fee rules.
-- Re-applying is harmless (INSERT OR IGNORE); later edits go through the admin API, never here.
INSERT OR IGNORE INTO voucher_templates (id, service_type, title, description, default_duration, default_terms) VALUES
  ('consulting.session', 'consulting.session', 'Beratungssitzung', 'Individuelle Beratung, 60 Minuten', 60, '{"template":"consulting.session"}'),
  ('therapy.session', 'therapy.session', 'Therapiesitzung', 'Therapie- oder Coaching-Termin, 50 Minuten', 50, '{"template":"therapy.session"}'),
  ('realestate.viewing', 'realestate.viewing', 'Immobilienbesichtigung', 'Besichtigungstermin vor Ort, 45 Minuten', 45, '{"template":"realestate.viewing"}'),
  ('machine.timeslot', 'machine.timeslot', 'Maschinenzeit', 'Nutzung einer Maschine, 60 Minuten', 60, '{"template":"machine.timeslot"}'),
  ('membership.access', 'membership.access', 'Mitgliedschaft / Tageszugang', 'Zugang für einen ganzen Tag', 1440, '{"template":"membership.access"}');
--> statement-breakpoint
INSERT OR IGNORE INTO fees (id, scope, rate_ppm, fixed_amount, currency, rounding, payer, active, version, meta, updated_at) VALUES
  ('voucher.booking', 'voucher', 20000, 0, NULL, 'half_up', 'issuer', 1, 1, '{"description":"2 % of the voucher price per booking"}', 0),
  ('transfer.logged', 'transfer', 0, 0, NULL, 'half_up', 'actor', 0, 1, '{}', 0),
  ('mortgage.contract', 'mortgage', 0, 0, NULL, 'half_up', 'lender', 0, 1, '{}', 0),
  ('mortgage.tranche', 'mortgage', 0, 0, NULL, 'half_up', 'issuer', 0, 1, '{}', 0);
