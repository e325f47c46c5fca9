@booklore-plugin
Feature: Enabling progress sync
  "Automatically keep documents in sync" (Tools → BookLore Sync → What to Sync
  → Progress Sync) is the master switch. While it is off the plugin neither
  pulls nor pushes progress.

  Every scenario here starts from a client with the settings at their
  defaults, so the switch is off unless a step turns it on.

  @C-EN-1
  Rule: With sync disabled no progress pull or push is ever sent

    Scenario: A whole reading session with sync disabled sends nothing
      Given progress sync is disabled
      And "Set book to read on rating" is on
      And Wi-Fi is connected
      And the server holds progress 0.80 for book A
      When the reader opens book A at 20%
      And the reader turns 25 pages
      And 30 seconds pass
      And the reader turns 10 pages
      And the reader rates the book 5 stars
      And the device goes to sleep
      And the device wakes up
      And the reader closes the book
      And the reader runs Sync Pending Now
      Then no request reaches the server
      And the user is not asked anything
      And the reader stays at 55%

    Scenario: Turning sync off mid-book stops all traffic
      Given progress sync is enabled
      And Wi-Fi is connected
      And the reader has book A open at 20%
      When the reader turns "Automatically keep documents in sync" off
      And the reader turns 10 pages
      And the reader closes the book
      And the reader opens book B at 40%
      And the reader runs Sync Pending Now
      Then no request reaches the server

  @C-EN-2
  Rule: Interpretation: sync is off until enabled; while off nothing is queued and earlier items stay untouched
    Interpretation: the page asks the user to enable the feature, so a fresh
    client starts with it off. A disabled client queues no new snapshots, and
    snapshots it queued while it was on stay queued, neither sent nor dropped,
    until sync is turned on again.

    Scenario: A fresh client does not sync until the user enables it
      Given the settings are left at their defaults
      And Wi-Fi is connected
      When the reader opens book A at 20%
      And the reader turns 10 pages
      And the reader closes the book
      Then no request reaches the server
      And the queue summary reads 0P

    Scenario: Items queued before disabling stay queued and untouched
      Given progress sync is enabled
      And Wi-Fi is disconnected
      And the reader has book A open at 20%
      And the reader has closed the book
      And the queue summary reads 2P
      When the reader turns "Automatically keep documents in sync" off
      And Wi-Fi connects
      And the reader opens book B at 40%
      And the reader runs Sync Pending Now
      Then no request reaches the server
      And the queue summary reads 2P

    Scenario: Turning sync back on lets the earlier items go out
      Given progress sync is enabled
      And Wi-Fi is disconnected
      And the reader has book A open at 20%
      And the reader turns "Automatically keep documents in sync" off
      And Wi-Fi connects
      When the reader turns "Automatically keep documents in sync" on
      And the reader runs Sync Pending Now
      Then a push for book A at 20% reaches the server
      And the queue summary reads 0P
