Feature: Ordering and time
  The server stamps every accepted push with its own clock, in whole seconds
  since the Unix epoch. Clients compare these stamps, so milliseconds or an
  echo of the client's own clock put readers at the wrong page.

  Background:
    Given a book "A"

  @S-TS-1
  Rule: timestamp is server time in whole seconds, never going backwards

    Scenario: The stored timestamp is the server's clock in seconds
      When alice pushes "A" at 0.4 with progress "p"
      And alice pulls "A"
      Then the answer's "timestamp" is the server's time in whole seconds

    Scenario: The client's own timestamp is not stored
      When alice pushes "A" at 0.4 with progress "p" and timestamp 1234567890
      And alice pulls "A"
      Then the answer's "timestamp" is the server's time in whole seconds

    Scenario: A later push never carries an earlier timestamp
      When alice pushes "A" at 0.4 with progress "first"
      And alice remembers the timestamp of "A"
      And alice pushes "A" at 0.5 with progress "second"
      Then the timestamp of "A" has not gone backwards

    @needs-admin
    Scenario: A server clock that steps back does not move a timestamp back
      When alice pushes "A" at 0.4 with progress "first"
      And alice remembers the timestamp of "A"
      And the server's clock goes back 3600 seconds
      And alice pushes "A" at 0.5 with progress "second"
      Then the timestamp of "A" has not gone backwards
