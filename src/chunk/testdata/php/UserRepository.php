<?php

declare(strict_types=1);

namespace App\Repository;

use App\Entity\User;
use PDO;
use RuntimeException;

require_once __DIR__ . '/../bootstrap.php';

interface UserRepositoryInterface
{
    public function find(int $id): ?User;
    public function save(User $user): void;
}

/**
 * Stores users in a SQL database through PDO.
 */
final class UserRepository implements UserRepositoryInterface
{
    private const TABLE = 'users';

    public function __construct(private PDO $pdo)
    {
        $this->pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
    }

    public function find(int $id): ?User
    {
        $stmt = $this->pdo->prepare('SELECT id, email, name FROM ' . self::TABLE . ' WHERE id = :id');
        $stmt->execute(['id' => $id]);
        $row = $stmt->fetch(PDO::FETCH_ASSOC);
        if ($row === false) {
            return null;
        }
        return new User((int) $row['id'], $row['email'], $row['name']);
    }

    public function findByEmail(string $email): ?User
    {
        $stmt = $this->pdo->prepare('SELECT id, email, name FROM ' . self::TABLE . ' WHERE email = ?');
        $stmt->execute([strtolower($email)]);
        $row = $stmt->fetch(PDO::FETCH_ASSOC);
        return $row ? new User((int) $row['id'], $row['email'], $row['name']) : null;
    }

    public function save(User $user): void
    {
        if ($user->getId() === null) {
            $stmt = $this->pdo->prepare('INSERT INTO ' . self::TABLE . ' (email, name) VALUES (?, ?)');
            $stmt->execute([$user->getEmail(), $user->getName()]);
            $user->setId((int) $this->pdo->lastInsertId());
            return;
        }
        $stmt = $this->pdo->prepare('UPDATE ' . self::TABLE . ' SET email = ?, name = ? WHERE id = ?');
        $stmt->execute([$user->getEmail(), $user->getName(), $user->getId()]);
        if ($stmt->rowCount() !== 1) {
            throw new RuntimeException('user ' . $user->getId() . ' vanished');
        }
    }

    public function delete(int $id): bool
    {
        $stmt = $this->pdo->prepare('DELETE FROM ' . self::TABLE . ' WHERE id = ?');
        $stmt->execute([$id]);
        return $stmt->rowCount() > 0;
    }
}

function normalize_email(string $email): string
{
    return strtolower(trim($email));
}
