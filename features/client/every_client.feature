Feature: What every sync client keeps
  Whatever client it is — BookLore's plugin, KOReader's own sync, a fork —
  a client of the progress-sync protocol keeps these rules: nothing is sent
  while sync is off, a send that fails loses nothing, an older position never
  overwrites a newer one, and the server is never moved back behind progress
  the client has applied. These scenarios run for every profile; they use
  only what every client has (a book, pages, Wi-Fi, the sync switch).

  "The client gets a chance to send what is pending" is Sync Pending Now for
  a client that has it, otherwise the network going down and coming back up
  (when KOReader's plugin sends its retry queue). Checks are made once the
  client is quiet: the harness lets 60 virtual seconds pass first.

  Background:
    Given progress sync is enabled
    And Wi-Fi is connected
    And "Periodic page-turn updates" is off

  @C-EN-1
  Rule: With sync off, nothing is sent automatically

    Scenario: A reading session with sync off sends nothing
      Given progress sync is disabled
      And the server holds progress 0.70 for book A
      When the reader opens book A at 20%
      And the reader turns 10 pages
      And the device goes to sleep
      And the device wakes up
      And 30 seconds pass
      And the reader closes the book
      And Wi-Fi disconnects
      And Wi-Fi connects
      Then no request reaches the server
      And the user is not asked anything

  @C-SAFE-1 @C-Q-3
  Rule: A send that fails loses nothing: it is tried again until the server accepts it

    Scenario: The same position fails twice in a row
      Given the reader has book A open at 20%
      And 30 seconds pass
      And the server answers the next 2 pushes with status 500
      When the reader turns 10 pages
      And the reader closes the book
      And the client gets a chance to send what is pending
      And the client gets a chance to send what is pending
      Then the server holds progress 30% for book A

    Scenario: Failures interleaved with new reading
      Given the reader has book A open at 20%
      And 30 seconds pass
      And the server answers the next 3 pushes with status 500
      When the reader turns 10 pages
      And the reader closes the book
      And the reader opens book B at 50%
      And 30 seconds pass
      And the reader turns 10 pages
      And the reader closes the book
      And the client gets a chance to send what is pending
      And the client gets a chance to send what is pending
      And the client gets a chance to send what is pending
      Then the server holds progress 30% for book A
      And the server holds progress 60% for book B

    Scenario: A dropped connection, then a failure, then success
      Given the reader has book A open at 20%
      And 30 seconds pass
      And the server drops the next push
      And the server answers the next push with status 503
      When the reader turns 15 pages
      And the reader closes the book
      And the client gets a chance to send what is pending
      And the client gets a chance to send what is pending
      Then the server holds progress 35% for book A

  @C-SAFE-6
  Rule: The server is never moved back behind a position the client applied

    Scenario: An applied remote position is what the client uploads next
      Given "Sync to a newer state" is set to Silently
      And the server holds progress 0.80 for book A
      When the reader opens book A at 20%
      And the reader closes the book
      Then the reader is moved to 80%
      And the server holds progress 80% for book A

    Scenario: An older remote position is not applied without the reader's consent
      Given the conflict strategies are left at their defaults
      And the server holds progress 0.20 for book A
      When the reader opens book A at 50%
      Then the reader stays at 50%
