@booklore-plugin
Feature: The pending queue and retries
  Progress updates go through the local pending queue and are synced by Sync
  Pending Now. Queue summaries show progress items as P. A failed upload stays
  queued and is retried on a later sync run. View Pending Sessions shows the
  pending and synced counts.

  Background:
    Given progress sync is enabled
    And Wi-Fi is connected

  @C-Q-1
  Rule: Every snapshot goes through the local pending queue

    Scenario: An uploaded snapshot is counted as synced
      When the reader opens book A at 20%
      Then View Pending Sessions shows 0 pending and 1 synced

    Scenario: A snapshot that cannot go out yet is counted as pending
      Given Wi-Fi is disconnected
      When the reader opens book A at 20%
      Then View Pending Sessions shows 1 pending and 0 synced

  @C-Q-2
  Rule: Sync Pending Now uploads the pending progress items

    Scenario: Sync Pending Now sends what the debounce held back
      Given "Periodically sync every # pages" is set to 5
      And the reader has book A open at 20%
      And the reader turns 5 pages
      And the queue summary reads 1P
      When the reader runs Sync Pending Now
      Then a push for book A at 25% reaches the server
      And the queue summary reads 0P

    Scenario: Sync Pending Now sends what queued up offline
      Given Wi-Fi is disconnected
      And the reader has book A open at 20%
      And the reader has closed the book
      And the reader opens book B at 70%
      And Wi-Fi connects
      When the reader runs Sync Pending Now
      Then the queue summary reads 0P
      And the server holds progress 20% for book A
      And the server holds progress 70% for book B

  @C-Q-3
  Rule: A failed upload stays queued and is retried on a later run, never dropped

    Scenario Outline: The upload fails with <failure>, then succeeds on the next run
      Given the server answers the next push with <failure>
      And the reader has book A open at 20%
      And the queue summary reads 1P
      When the reader runs Sync Pending Now
      Then a push for book A at 20% reaches the server
      And the queue summary reads 0P
      And the server holds progress 20% for book A

      Examples:
        | failure              |
        | status 500           |
        | status 503           |
        | status 401           |
        | a dropped connection |

    Scenario: A failure stops the run; everything goes on a later run
      Given Wi-Fi is disconnected
      And the reader has book A open at 20%
      And the reader has closed the book
      And the reader opens book B at 70%
      And the server answers the next 2 pushes with status 500
      And Wi-Fi connects
      When the reader runs Sync Pending Now
      And the reader runs Sync Pending Now
      And the reader runs Sync Pending Now
      Then the queue summary reads 0P
      And View Pending Sessions shows 0 pending and 3 synced
      And the server holds progress 20% for book A
      And the server holds progress 70% for book B

  @C-Q-4
  Rule: Queue summaries count progress items with the letter P

    Scenario Outline: <n> snapshots waiting read <summary>
      Given Wi-Fi is disconnected
      And "Periodically sync every # pages" is set to 10
      When the reader opens book A at 20%
      And the reader turns <pages> pages
      And the reader closes the book
      Then the queue summary reads <summary>

      Examples:
        | n | pages | summary |
        | 2 | 0     | 2P      |
        | 3 | 10    | 3P      |
        | 4 | 20    | 4P      |

  @C-Q-5
  Rule: View Pending Sessions shows pending and synced counts; a successful upload moves an item from pending to synced

    Scenario: Items move from pending to synced as they upload
      Given Wi-Fi is disconnected
      And the reader has book A open at 20%
      And the reader has closed the book
      And View Pending Sessions shows 2 pending and 0 synced
      When Wi-Fi connects
      And the reader runs Sync Pending Now
      Then View Pending Sessions shows 0 pending and 2 synced

    Scenario: A failed upload is not counted as synced
      Given the server answers the next push with status 500
      When the reader opens book A at 20%
      Then View Pending Sessions shows 1 pending and 0 synced
