@booklore-plugin
Feature: Manual only (cache everything)
  With "Manual only" active, progress snapshots are still queued locally, no
  upload is attempted automatically, and uploads happen when the reader runs
  Sync Pending Now.

  Background:
    Given progress sync is enabled
    And Wi-Fi is connected
    And "Manual only" is on

  @C-MAN-1
  Rule: With Manual only on, snapshots are still queued locally

    Scenario: Open, periodic and close snapshots all queue up
      Given "Periodically sync every # pages" is set to 5
      When the reader opens book A at 20%
      And the reader turns 10 pages
      And the reader closes the book
      Then the queue summary reads 4P

  @C-MAN-2
  Rule: With Manual only on, no upload is attempted automatically

    Scenario: A reading session uploads nothing by itself
      Given "Periodically sync every # pages" is set to 5
      And "Set book to read on rating" is on
      When the reader opens book A at 20%
      And 30 seconds pass
      And the reader turns 10 pages
      And 30 seconds pass
      And the reader rates the book 5 stars
      And the reader closes the book
      And Wi-Fi disconnects
      And Wi-Fi connects
      Then no push reaches the server
      And the queue summary reads 5P

  @C-MAN-3
  Rule: With Manual only on, Sync Pending Now uploads

    Scenario: Sync Pending Now sends the cached snapshots
      Given the reader has book A open at 20%
      And the reader turns 10 pages
      And the reader has closed the book
      When the reader runs Sync Pending Now
      Then the queue summary reads 0P
      And View Pending Sessions shows 0 pending and 3 synced
      And the server holds progress 30% for book A

  @C-MAN-4
  Rule: Interpretation: Manual only also suppresses automatic pulls
    Interpretation: "cache everything" is read as no automatic traffic at
    all, so neither opening nor waking up pulls while Manual only is on.

    Scenario: Opening and waking pull nothing under Manual only
      Given the server holds progress 0.70 for book A
      When the reader opens book A at 20%
      And the device goes to sleep
      And the device wakes up
      Then no request reaches the server
      And the user is not asked anything
