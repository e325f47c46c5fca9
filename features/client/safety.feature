@booklore-plugin
Feature: Safety of reading progress
  Derived rules no correct client may break, whatever the order of events:
  no snapshot is lost, an older snapshot never overwrites a newer one, nothing
  accepted is sent twice, and nothing at all goes out while Wi-Fi is off.

  The source's warning not to run this feature together with KOReader's
  built-in progress sync for the same source is advice to users, not client
  behaviour, so it has no scenario here.

  Background:
    Given progress sync is enabled

  @C-SAFE-1
  Rule: No snapshot is lost: each stays pending until a 2xx accepts it

    Scenario: Failures and drops in a row lose nothing
      Given Wi-Fi is connected
      And "Periodically sync every # pages" is set to 5
      And the server answers the next 3 pushes with status 500
      And the reader has book A open at 20%
      And 30 seconds pass
      And the reader turns 5 pages
      And the server drops the next push
      And the reader runs Sync Pending Now
      And the reader runs Sync Pending Now
      When the reader runs Sync Pending Now
      And the reader runs Sync Pending Now
      Then the queue summary reads 0P
      And View Pending Sessions shows 0 pending and 2 synced
      And the server holds progress 25% for book A

  @C-SAFE-2
  Rule: Uploads keep each document's order: the server ends with each document's latest snapshot

    Scenario: Three snapshots of one book uploaded together
      Given Wi-Fi is disconnected
      And the reader has book A open at 20%
      And the reader turns 10 pages
      And the reader has closed the book
      When Wi-Fi connects
      And the reader runs Sync Pending Now
      Then the pushes for book A are at 20% then 30% then 30%
      And the server holds progress 30% for book A

    Scenario: Two books read in turn
      Given Wi-Fi is disconnected
      And the reader has book A open at 20%
      And the reader turns 10 pages
      And the reader opens book B at 60%
      And the reader turns 10 pages
      And the reader opens book A at 35%
      And the reader has closed the book
      When Wi-Fi connects
      And the reader runs Sync Pending Now
      Then the server holds progress 35% for book A
      And the server holds progress 70% for book B

  @C-SAFE-3
  Rule: A snapshot accepted once is not uploaded again

    Scenario: Sync Pending Now after everything went out sends nothing
      Given Wi-Fi is connected
      And the reader has book A open at 20%
      When the reader runs Sync Pending Now
      And the reader runs Sync Pending Now
      Then no push reaches the server
      And View Pending Sessions shows 0 pending and 1 synced

    Scenario: After a retry succeeds only the failed item goes again
      Given Wi-Fi is connected
      And the reader has book A open at 20%
      And the server answers the next push with status 500
      And the reader has closed the book
      When the reader runs Sync Pending Now
      Then 1 push reaches the server
      And View Pending Sessions shows 0 pending and 2 synced

  @C-SAFE-4
  Rule: Nothing at all is sent while Wi-Fi is disconnected

    Scenario: A whole session offline
      Given Wi-Fi is disconnected
      And "Set book to read on rating" is on
      And "Periodically sync every # pages" is set to 2
      And the server holds progress 0.90 for book A
      When the reader opens book A at 20%
      And 30 seconds pass
      And the reader turns 10 pages
      And the reader rates the book 4 stars
      And the device goes to sleep
      And the device wakes up
      And the reader runs Sync Pending Now
      And the reader closes the book
      Then no request reaches the server

    Scenario: Wi-Fi drops in the middle of reading
      Given Wi-Fi is connected
      And the reader has book A open at 20%
      When Wi-Fi disconnects
      And 30 seconds pass
      And the reader turns 10 pages
      And the reader closes the book
      Then no request reaches the server
      And the queue summary reads 2P

  @C-SAFE-5
  Rule: Sync Pending Now offline sends nothing and keeps every item queued

    Scenario: Sync Pending Now while offline
      Given Wi-Fi is disconnected
      And the reader has book A open at 20%
      And the reader has closed the book
      When the reader runs Sync Pending Now
      Then no request reaches the server
      And the queue summary reads 2P
