@booklore-plugin
Feature: When progress is pushed
  Progress snapshots are queued when a book opens, when it closes, and every N
  page turns while "Periodic page-turn updates" is on (N is "Periodically sync
  every # pages", at least 1). Queued snapshots are uploaded.

  Most scenarios here keep Wi-Fi off so the queue shows what was queued
  without uploads getting in the way.

  Background:
    Given progress sync is enabled

  @C-PUSH-1
  Rule: Opening a book queues a progress snapshot

    Scenario: Opening a book offline leaves one snapshot in the queue
      Given Wi-Fi is disconnected
      When the reader opens book A at 20%
      Then the queue summary reads 1P

    Scenario: Opening a book online uploads its snapshot
      Given Wi-Fi is connected
      When the reader opens book A at 20%
      Then a push for book A at 20% reaches the server
      And View Pending Sessions shows 0 pending and 1 synced

  @C-PUSH-2
  Rule: Closing a book queues a progress snapshot

    Scenario: Closing a book offline adds a snapshot
      Given Wi-Fi is disconnected
      And the reader has book A open at 20%
      When the reader closes the book
      Then the queue summary reads 2P

    Scenario: Closing a book online uploads where the reader stopped
      Given Wi-Fi is connected
      And the reader has book A open at 20%
      When the reader turns 3 pages
      And the reader closes the book
      Then a push for book A at 23% reaches the server

  @C-PUSH-3
  Rule: With periodic updates on, every N page turns queue a snapshot and the count restarts

    Scenario Outline: "Periodically sync every # pages" is <N> by default
      Given Wi-Fi is disconnected
      And the periodic settings are left at their defaults
      And the reader has book A open at 20%
      When the reader turns <n_minus_one> pages
      Then the queue summary reads 1P
      When the reader turns 1 page
      Then the queue summary reads 2P

      Examples:
        | N  | n_minus_one |
        | 10 | 9           |

    Scenario: The count restarts after each periodic snapshot
      Given Wi-Fi is disconnected
      And "Periodically sync every # pages" is set to 3
      And the reader has book A open at 20%
      When the reader turns 3 pages
      Then the queue summary reads 2P
      When the reader turns 2 pages
      Then the queue summary reads 2P
      When the reader turns 1 page
      Then the queue summary reads 3P
      When the reader turns 6 pages
      Then the queue summary reads 5P

    Scenario: Every page with N = 1
      Given Wi-Fi is disconnected
      And "Periodically sync every # pages" is set to 1
      And the reader has book A open at 20%
      When the reader turns 4 pages
      Then the queue summary reads 5P

  @C-PUSH-4
  Rule: N is at least 1: a lower value is refused with a clear error and the old value stays

    Scenario Outline: Setting N to <value> is refused
      Given Wi-Fi is disconnected
      And "Periodically sync every # pages" is set to 3
      And the reader has book A open at 20%
      When the reader sets "Periodically sync every # pages" to <value>
      Then the change is refused with an error message
      When the reader turns 2 pages
      Then the queue summary reads 1P
      When the reader turns 1 page
      Then the queue summary reads 2P

      Examples:
        | value |
        | 0     |
        | -1    |
        | -100  |

    Scenario: Setting N to 1 is accepted
      Given Wi-Fi is disconnected
      And "Periodically sync every # pages" is set to 3
      And the reader has book A open at 20%
      When the reader sets "Periodically sync every # pages" to 1
      Then no setting change is refused
      When the reader turns 1 page
      Then the queue summary reads 2P

  @C-PUSH-5
  Rule: With periodic updates off, page turns queue nothing; open and close still queue

    Scenario: Periodic updates off
      Given Wi-Fi is disconnected
      And "Periodic page-turn updates" is off
      When the reader opens book A at 20%
      And the reader turns 30 pages
      Then the queue summary reads 1P
      When the reader closes the book
      Then the queue summary reads 2P

    Scenario: Periodic updates off, online
      Given Wi-Fi is connected
      And "Periodic page-turn updates" is off
      And the reader has book A open at 20%
      When 60 seconds pass
      And the reader turns 30 pages
      Then no push reaches the server
      When the reader closes the book
      Then a push for book A at 50% reaches the server

  @C-PUSH-8
  Rule: Interpretation: outside Manual only a new snapshot is uploaded at once when Wi-Fi is connected; offline it waits
    Interpretation: "queued and uploaded" is read as: queue the snapshot, then
    upload the pending items right away when Wi-Fi is up (page-triggered ones
    subject to the debounce); offline the snapshot simply waits in the queue.

    Scenario: Online, the snapshot leaves the queue straight away
      Given Wi-Fi is connected
      When the reader opens book A at 20%
      Then a push for book A at 20% reaches the server
      And the queue summary reads 0P

    Scenario: Offline, the snapshot waits and nothing is sent
      Given Wi-Fi is disconnected
      When the reader opens book A at 20%
      And the reader closes the book
      Then no request reaches the server
      And the queue summary reads 2P
