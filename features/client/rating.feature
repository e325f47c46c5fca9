@booklore-plugin
Feature: Set book to read on rating
  With "Set book to read on rating" on, submitting a rating also queues a
  forced 100% progress snapshot, so BookLore marks the book as read at once.

  Background:
    Given progress sync is enabled

  @C-RATE-1
  Rule: With the setting on, a rating queues a snapshot at 100% for that book

    Scenario: Rating a book online pushes it as finished
      Given Wi-Fi is connected
      And "Set book to read on rating" is on
      And the reader has book A open at 40%
      When the reader rates the book 5 stars
      Then a push for book A at 100% reaches the server
      And the server holds progress 100% for book A

    Scenario: Rating a book offline queues the 100% snapshot
      Given Wi-Fi is disconnected
      And "Set book to read on rating" is on
      And the reader has book A open at 40%
      When the reader rates the book 3 stars
      Then the queue summary reads 2P
      When Wi-Fi connects
      And the reader runs Sync Pending Now
      Then the server holds progress 100% for book A

  @C-RATE-2
  Rule: With the setting off, a rating queues no progress

    Scenario Outline: A <stars>-star rating with the setting off
      Given Wi-Fi is disconnected
      And "Set book to read on rating" is off
      And the reader has book A open at 40%
      When the reader rates the book <stars> stars
      Then the queue summary reads 1P

      Examples:
        | stars |
        | 1     |
        | 5     |

    Scenario: Online, a rating with the setting off pushes nothing
      Given Wi-Fi is connected
      And "Set book to read on rating" is off
      And the reader has book A open at 40%
      When the reader rates the book 4 stars
      Then no push reaches the server
